"""Run the stages over every target concurrently; one target's failure never stops another."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import botocore.exceptions

from sgupdater import applier, aws, migrate, nacls, planner, prefixlists, scanner, verify
from sgupdater.errors import TargetError
from sgupdater.journal import Journal, TargetJournal
from sgupdater.models import Current, Outcome, Plan, Target, TargetResult

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

log = logging.getLogger("sgupdater")

DEFAULT_CONCURRENCY = 8
# Calls that overlap inside one target; kept low because EC2 throttles per account and region.
MAX_CALLS_PER_TARGET = 4


@dataclass(frozen=True, slots=True)
class Options:
    """How a run is carried out, whatever it asks for."""

    scope: scanner.Scope = field(default_factory=scanner.Scope)
    concurrency: int = DEFAULT_CONCURRENCY
    sessions: aws.Sessions = field(init=False, compare=False, repr=False)
    # Set on SIGINT/SIGTERM: calls not yet sent are skipped, in-flight ones finish.
    stop: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Each target's client pools as many connections as calls may overlap in it.
        object.__setattr__(self, "sessions", aws.Sessions(pool=self.calls_per_target))

    @property
    def calls_per_target(self) -> int:
        """How many calls may overlap inside one target: --concurrency 1 is strictly serial."""
        return min(self.concurrency, MAX_CALLS_PER_TARGET)


def _guarded(item: TargetResult, work: Callable[[TargetResult], TargetResult]) -> TargetResult:
    try:
        return work(item)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return dataclasses.replace(item, error=aws.target_error(exc))
    except TargetError as exc:
        return dataclasses.replace(item, error=exc)


def _order(result: TargetResult) -> tuple[str, str, str]:
    target = result.target
    return (result.account or target.account or "", target.region, target.credentials.label)


Progress = Callable[[TargetResult], None]


def _each(
    items: Sequence[TargetResult],
    options: Options,
    work: Callable[[TargetResult], TargetResult],
    progress: Progress | None,
) -> list[TargetResult]:
    done: list[TargetResult] = []
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        futures = [pool.submit(_guarded, item, work) for item in items]
        for future in as_completed(futures):
            done.append(future.result())
            if progress is not None:
                progress(done[-1])
    # Whatever the scheduling, results come out in (account, region, credentials) order.
    return sorted(done, key=_order)


def _scan(item: TargetResult, request: planner.Request, options: Options) -> TargetResult:
    target, scope = item.target, options.scope
    client = options.sessions.ec2(target.credentials, target.region)
    found = scanner.scan(client, target, scope, request.relevant, overlap=options.concurrency > 1)
    rules = list(found.rules)
    room: planner.Room = {}
    if scope.prefix_lists:
        account = found.account or target.account
        entries, room = prefixlists.scan(client, target.region, scope, request.relevant, account)
        rules += entries
    if scope.nacls:
        rules += nacls.scan(client, target.region, scope, request.relevant)
    log.info(
        "%s: %d groups scanned, %d entries relevant", target.label, found.groups_scanned, len(rules)
    )
    return TargetResult(
        target=target,
        account=found.account or target.account,
        groups_scanned=found.groups_scanned,
        plan=planner.plan(rules, request, room),
    )


def scan_and_plan(
    targets: Sequence[Target],
    request: planner.Request | migrate.MigrateRequest,
    options: Options,
    progress: Progress | None = None,
) -> list[TargetResult]:
    """Scan every target and plan its changes; nothing is modified."""

    def work(item: TargetResult) -> TargetResult:
        if isinstance(request, planner.Request):
            return _scan(item, request, options)
        client = options.sessions.ec2(item.target.credentials, item.target.region)
        return migrate.scan_and_plan(
            client, item.target, options.scope, request, options.concurrency > 1
        )

    seeds = [TargetResult(target=t, account=t.account) for t in targets]
    return _each(seeds, options, work, progress)


def current(client: EC2Client, ids: Sequence[str], page_size: int) -> list[Current]:
    """The rules and entries of these groups, prefix lists and network ACLs as they are now."""
    found = scanner.current_rules(client, [i for i in ids if i.startswith("sg-")], page_size)
    found += prefixlists.current(client, [i for i in ids if i.startswith("pl-")])
    found += nacls.current(client, [i for i in ids if i.startswith("acl-")])
    return found


def _send(
    client: EC2Client, plan: Plan, target: Target, options: Options, journal: Journal | None
) -> tuple[Outcome, ...]:
    record = TargetJournal(journal, target) if journal is not None else None
    return applier.apply(
        client, plan, workers=options.calls_per_target, record=record, stop=options.stop
    )


def apply_all(
    results: Sequence[TargetResult],
    options: Options,
    progress: Progress | None = None,
    journal: Journal | None = None,
) -> list[TargetResult]:
    """Apply the plan of every target that scanned cleanly and has changes."""

    def work(item: TargetResult) -> TargetResult:
        if item.error is not None or not item.plan.changes:
            return item
        client = options.sessions.ec2(item.target.credentials, item.target.region)
        outcomes = _send(client, item.plan, item.target, options, journal)
        return dataclasses.replace(item, outcomes=outcomes)

    return _each(results, options, work, progress)


def apply_checked(
    expected: dict[Target, list[verify.Expect]],
    options: Options,
    *,
    dry_run: bool,
    journal: Journal | None = None,
    seeds: Sequence[TargetResult] = (),
    progress: Progress | None = None,
) -> list[TargetResult]:
    """Check each change against the rules as they are now, then apply those still valid.

    `seeds`: the scanned results the changes come from, whose counts the results keep.
    """

    def work(item: TargetResult) -> TargetResult:
        if item.error is not None or item.target not in expected:
            return item
        wanted = expected[item.target]
        client = options.sessions.ec2(item.target.credentials, item.target.region)
        groups = sorted({u.change.rule.group_id for u in wanted} - {""})
        now = current(client, groups, options.scope.page_size)
        plan, skipped = verify.verify(wanted, now)
        outcomes: list[Outcome | None] = [skipped.get(i) for i in range(len(plan.changes))]
        todo = [i for i in range(len(plan.changes)) if i not in skipped]
        if not dry_run and todo:
            sub = Plan(tuple(plan.changes[i] for i in todo), ())
            done = _send(client, sub, item.target, options, journal)
            for i, outcome in zip(todo, done, strict=True):
                outcomes[i] = outcome
        base = item.plan if item.plan.changes else plan
        return dataclasses.replace(
            item,
            account=item.account or item.target.account,
            plan=dataclasses.replace(base, changes=plan.changes),
            outcomes=tuple(outcomes),
        )

    items = list(seeds) or [TargetResult(target=t, account=t.account) for t in expected]
    return _each(items, options, work, progress)
