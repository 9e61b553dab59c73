"""Apply across a run: every target's changes, then, last, those that decide who may call AWS.

The changes of a policy that governs callers (Safety.governs_callers) wait until every other
change of the run is done; they are held back when any of it failed, so that a re-run (or a
rollback) is never denied by a policy this run narrowed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Container, Sequence

from sgupdater import kinds
from sgupdater.engine import applier, verify
from sgupdater.engine.runner import Clients, Left, Progress, Run, each_target
from sgupdater.errors import TargetError
from sgupdater.files.journal import Journal, TargetJournal
from sgupdater.models import Change, Current, Failed, Outcome, Plan, Skipped, Target, TargetResult
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")


def current(clients: Clients, changes: Sequence[Change], scope: Scope) -> list[Current]:
    """The entries of the containers these changes touch, as they are now."""
    ids: dict[str, set[str]] = defaultdict(set)
    for change in changes:
        if change.entry.container_id:
            ids[change.entry.kind].add(change.entry.container_id)
    found: list[Current] = []
    for name, wanted in sorted(ids.items()):
        kind = kinds.get(name)
        found.extend(kind.current(clients(kind.service), sorted(wanted), scope))
    return found


def reaches(clients: Clients, target: Target) -> None:
    """Refuse a target whose credentials reach another account than the one a file names."""
    if target.account is None:
        return
    found = str(clients("sts").get_caller_identity()["Account"])
    if found != target.account:
        raise TargetError(
            f"these credentials reach account {found}, not {target.account} as the file says; "
            "nothing was sent there",
            code="AccountMismatch",
        )


def _send(
    clients: Clients, plan: Plan, target: Target, run: Run, journal: Journal | None
) -> tuple[Outcome, ...]:
    record = TargetJournal(journal, target) if journal is not None else None
    return applier.apply(
        clients,
        plan,
        workers=run.options.calls_per_target,
        record=record,
        stop=run.stop,
        allow=run.options.scope.switches,
    )


def _last(change: Change) -> bool:
    """A change that can narrow who may call AWS, the caller included: sent after the rest."""
    return kinds.get(change.entry.kind).safety(change.entry).governs_callers


def _first(changes: Sequence[Change], skip: Container[int] = ()) -> list[int]:
    """The indices of the changes sent in the first phase (not held for last, not skipped)."""
    return [i for i, c in enumerate(changes) if i not in skip and not _last(c)]


def _sent(
    item: TargetResult,
    todo: list[int],
    clients: Clients,
    run: Run,
    journal: Journal | None,
    outcomes: list[Outcome | None],
) -> None:
    """Send these changes of the item's plan; their outcomes fill in `outcomes`."""
    if not todo:
        return
    sub = Plan(tuple(item.plan.changes[i] for i in todo), ())
    done = _send(clients, sub, item.target, run, journal)
    for i, outcome in zip(todo, done, strict=True):
        outcomes[i] = outcome


# Why a change held for last is not sent once something of the run did not apply.
HELD = (
    "held back: this policy decides who may call AWS (you too), and an earlier change of the "
    "run failed; fix that and run again, this change will be made last"
)


def _then_last(
    results: list[TargetResult], run: Run, journal: Journal | None
) -> list[TargetResult]:
    """Send every change held for last, once the rest of the run is done and only if none of it
    failed: a policy narrowed earlier could deny the calls that come after it, rollback too."""

    def waiting(item: TargetResult) -> list[int]:
        outcomes = item.outcomes or ()
        pairs = zip(item.plan.changes, outcomes, strict=True)
        return [i for i, (c, o) in enumerate(pairs) if o is None and _last(c)]

    held = {r.target: todo for r in results if (todo := waiting(r))}
    if not held:
        return results
    # A target that failed, or a change refused: a re-run will be needed, from where the caller
    # calls now. (A container that could not be read is no such sign: it stays unread.)
    failed = any(
        r.error is not None or any(isinstance(o, Failed) for o in r.outcomes or ()) for r in results
    )

    def work(item: TargetResult) -> TargetResult:
        todo = held.get(item.target)
        if not todo:
            return item
        outcomes = list(item.outcomes or ())
        if failed:
            for i in todo:
                outcomes[i] = Skipped(HELD)
        else:
            clients = run.sessions.clients(item.target.credentials, item.target.region)
            _sent(item, todo, clients, run, journal, outcomes)
        return dataclasses.replace(item, outcomes=tuple(outcomes))

    log.info("last: the changes that decide who may call AWS")
    return each_target(results, run.options, work, None, run.stop)


def _containers(wanted: Sequence[verify.Expect]) -> int:
    """How many containers a check reads again (the count a file-fed run reports)."""
    return len({(u.change.entry.kind, u.change.entry.container_id) for u in wanted})


def apply_checked(
    expected: dict[Target, list[verify.Expect]],
    run: Run,
    *,
    dry_run: bool,
    journal: Journal | None = None,
    seeds: Sequence[TargetResult] = (),
    progress: Progress | None = None,
) -> list[TargetResult]:
    """Check each change against the rules as they are now, then apply those still valid
    (those that decide who may call AWS last, after every other change of the run).

    `seeds`: the scanned results the changes come from, whose counts the results keep.
    """

    options = run.options
    left = Left(list(expected), run.sessions)

    def work(item: TargetResult) -> TargetResult:
        if item.error is not None or item.target not in expected:
            return item
        wanted = expected[item.target]
        last = not dry_run and any(_last(u.change) for u in wanted)
        try:
            return checked(item, wanted)
        finally:
            # Sessions and clients are dropped once an account is done (kept for what is last).
            left.done(item.target, keep=last)

    def checked(item: TargetResult, wanted: list[verify.Expect]) -> TargetResult:
        clients = run.sessions.clients(item.target.credentials, item.target.region)
        if options.check_accounts:
            reaches(clients, item.target)
        now = current(clients, [u.change for u in wanted], options.scope)
        plan, skipped = verify.verify(wanted, now)
        outcomes: list[Outcome | None] = [skipped.get(i) for i in range(len(plan.changes))]
        base = item.plan if item.plan.changes else plan
        item = dataclasses.replace(
            item,
            account=item.account or item.target.account,
            groups_scanned=item.groups_scanned or _containers(wanted),
            plan=dataclasses.replace(base, changes=plan.changes),
        )
        if not dry_run:
            _sent(item, _first(plan.changes, skipped), clients, run, journal, outcomes)
        return dataclasses.replace(item, outcomes=tuple(outcomes))

    items = list(seeds) or [TargetResult(target=t, account=t.account) for t in expected]
    done = each_target(items, options, work, progress, run.stop)
    return done if dry_run else _then_last(done, run, journal)
