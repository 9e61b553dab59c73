"""What is true after a write whose answer was an error or never came: read, never guessed.

A call can fail after AWS made it: the SDK retried a revoke whose first answer was lost and the
retry met NotFound; a multi-rule call may have been applied in part; a connection closed after
the request was carried out. Before an outcome is recorded, the container is read again
(the kind's `current`) and each change is found done, untouched, or neither (in doubt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sgupdater import kinds
from sgupdater.models import Change, Current, Found, new_value
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")

# Reads a batch's container and tells each change's state (by change index).
Check = Callable[[list[tuple[int, Change]]], dict[int, Found]]


def _slot(current: Current) -> tuple[str, str]:
    traffic = current.key[1]
    return (traffic.direction if traffic is not None else "", current.entry_id)


def _made_id(change: Change, new: str) -> str | None:
    """The id of the entry a policy-like change leaves: its id names its value."""
    old = str(change.entry.cidr)
    rule_id = change.entry.entry_id
    return rule_id[: -len(old)] + new if rule_id.endswith("|" + old) else None


def state_of(change: Change, now: list[Current]) -> Found:
    """Whether the change is in place in these entries (its container's, read now)."""
    rule, old, new = change.entry, str(change.entry.cidr), new_value(change)
    if change.action in ("create", "delete"):
        # A whole list: gone once deleted; made lists are found by name on a re-run.
        return Found("done") if change.action == "delete" and not now else Found("unknown")
    traits = kinds.get(rule.kind).traits
    direction = rule.traffic.direction if rule.traffic is not None else ""
    by_value = {(c.key, c.cidr): c for c in now}
    if traits.in_place_only or (rule.entry_id and not traits.values_repeat):
        at = {_slot(c): c for c in now}.get((direction, rule.entry_id))
        here = at.cidr if at is not None and at.key == rule.key else None
        if change.action == "authorize" and not traits.in_place_only:
            made = by_value.get((rule.key, new))
            return Found("done", made.entry_id or None) if made else Found("untouched")
        wanted = None if change.action == "revoke" else new
        before = None if change.action == "authorize" else old
        if here == wanted:
            return Found("done", rule.entry_id or None)
        return Found("untouched") if here == before else Found("unknown")
    ids = {c.entry_id for c in now}
    old_here = (rule.key, old) in by_value and (not rule.entry_id or rule.entry_id in ids)
    new_id = _made_id(change, new) if rule.entry_id else None
    new_here = (rule.key, new) in by_value and (new_id is None or new_id in ids)
    if change.action == "revoke":
        return Found("untouched") if old_here else Found("done")
    if change.action == "authorize":
        return Found("done", new_id) if new_here else Found("untouched")
    if new_here and not old_here:
        return Found("done", new_id)
    return Found("untouched") if old_here else Found("unknown")


def checker(client: Any, container: str) -> Check:
    """How a batch of one container finds out what is true (for Batch.check)."""

    def check(batch: list[tuple[int, Change]]) -> dict[int, Found]:
        kind = kinds.get(batch[0][1].entry.kind)
        if not container or container.startswith("new:"):
            # A list still to be created has no id to read: a re-run finds it by its name.
            return {index: Found("unknown") for index, _ in batch}
        now = list(kind.current(client, [container], Scope()))
        log.info("%s: read again to learn what the call did", container)
        return {index: state_of(change, now) for index, change in batch}

    return check
