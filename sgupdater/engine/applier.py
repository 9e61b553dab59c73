"""Execute a plan for one target: one batched call per container, in the order that keeps access."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sgupdater import kinds
from sgupdater.engine import truth
from sgupdater.kinds.interface import Batch, Indexed, Recorder, settle
from sgupdater.models import Applied, Change, Outcome, Plan, Skipped

log = logging.getLogger("sgupdater")

# A change that makes a container allow more (or exist); the others make it allow less.
_WIDENING = ("create", "modify", "authorize")
Clients = Callable[[str], Any]


def _run(
    clients: Clients,
    batches: dict[str, Indexed],
    workers: int,
    record: Recorder | None,
    stop: threading.Event | None,
    allow: frozenset[str] = frozenset(),
) -> dict[int, Outcome]:
    def work(key: str, changes: Indexed) -> dict[int, Outcome]:
        kind = kinds.get(changes[0][1].entry.kind)
        client = clients(kind.service)
        check = truth.checker(client, key)
        return kind.apply(client, Batch(key, changes, record, stop, allow, check))

    outcomes: dict[int, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(work, key, batch) for key, batch in batches.items()]
        for future in futures:
            outcomes.update(future.result())
    return outcomes


def _grouped(indexed: Indexed) -> dict[str, Indexed]:
    batches: dict[str, Indexed] = defaultdict(list)
    for index, change in indexed:
        # A container still to be created has no id yet: its name stands in.
        ref = change.reference
        key = change.entry.container_id or (f"new:{ref.name}" if ref is not None else "")
        batches[key].append((index, change))
    return batches


def _resolved(
    rest: Indexed, created: Indexed, outcomes: dict[int, Outcome], record: Recorder | None
) -> Indexed:
    """Point changes at the lists created in this run; skip those whose list is missing."""
    made = {
        change.reference.name: outcome.new_id
        for index, change in created
        if change.action == "create" and change.reference is not None
        and isinstance(outcome := outcomes.get(index), Applied) and outcome.new_id
    }  # fmt: skip
    kept: Indexed = []
    for index, change in rest:
        ref = change.reference
        if ref is None or ref.id:
            kept.append((index, change))
        elif ref.name in made:
            ref = dataclasses.replace(ref, id=made[ref.name])
            kept.append((index, dataclasses.replace(change, reference=ref)))
        else:
            missing = Skipped(f"{ref.name} was not created")
            settle([(index, change)], missing, outcomes, record)
    return kept


def apply(
    clients: Clients,
    plan: Plan,
    *,
    workers: int = 4,
    record: Recorder | None = None,
    stop: threading.Event | None = None,
    allow: frozenset[str] = frozenset(),
) -> tuple[Outcome, ...]:
    """Apply every change of the plan; one outcome per change, in plan order.

    Kinds others rely on (traits.wraps) gain entries first and lose them (or are deleted)
    last, so no moment leaves a range the plan keeps without access.
    """
    indexed = list(enumerate(plan.changes))

    def wraps(change: Change) -> bool:
        return kinds.get(change.entry.kind).traits.wraps

    widening = [(i, c) for i, c in indexed if wraps(c) and c.action in _WIDENING]
    narrowing = [(i, c) for i, c in indexed if wraps(c) and c.action not in _WIDENING]
    rest = [(i, c) for i, c in indexed if not wraps(c)]
    outcomes = _run(clients, _grouped(widening), workers, record, stop, allow)
    rest = _resolved(rest, widening, outcomes, record)
    outcomes.update(_run(clients, _grouped(rest), workers, record, stop, allow))
    if any(not isinstance(outcomes[i], Applied) for i, _ in indexed if i in outcomes):
        # Something before did not happen (a rule still relying on the list, perhaps):
        # keep every entry rather than cut access.
        kept = Skipped("an earlier change did not apply; kept the entry others rely on")
        settle(narrowing, kept, outcomes, record)
        narrowing = []
    outcomes.update(_run(clients, _grouped(narrowing), workers, record, stop, allow))
    return tuple(outcomes[i] for i in range(len(plan.changes)))
