"""Run the stages over every target concurrently; one target's failure never stops another."""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sgupdater import kinds
from sgupdater._types import AccountId, Cidr, Direction
from sgupdater.aws import sessions as aws
from sgupdater.aws import settle
from sgupdater.errors import TargetError
from sgupdater.kinds.interface import Kind, KindScan, Reading
from sgupdater.models import (
    INTERRUPTED,
    Credentials,
    Entry,
    ItemFailure,
    Plan,
    Quota,
    Scan,
    Target,
    TargetResult,
)
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")

# Measured over simulated Organizations at 100 ms a call (make bench-org, update --dry-run):
# one process over 1,700 targets took 32.2 s at 8 targets at once, 22.1 s at 16 and 20.2 s at
# 32: past 16 one process is bound by its core (CPU 19.1 s at 16, 19.4 s at 32). Worker
# processes (sgupdater.workers), each on a core of its own, took 21.3 s at 16 each and 10.6 s
# at 32 each. 17,000 targets over TLS, once a worker's CPU fell to 6.8 ms a target (settle.py):
# 97.0 s at 32 each (waiting on the network: 32 targets of ~3 calls at 100 ms), 81.6 s and
# 355 MiB at 48, 81.6 s and 366 MiB at 64 (bound by the two cores). Each target is its own
# account and region, whose API rate EC2 limits, and keeps at most MAX_CALLS_PER_TARGET calls
# in flight: more targets at once add accounts and regions, not pressure on any one.
DEFAULT_CONCURRENCY = 16
WORKER_CONCURRENCY = 48
# Calls that overlap inside one target; kept low because EC2 throttles per account and region.
MAX_CALLS_PER_TARGET = 4
# The region global resources answer from, chosen to read them when a run visits it.
GLOBAL_HOME = "us-east-1"


@dataclass(frozen=True, slots=True)
class Options:
    """How a run is carried out, whatever it asks for: settings only, built once from the flags
    and the configuration file, picklable (a worker process receives them as they are)."""

    scope: Scope = field(default_factory=Scope)
    concurrency: int = DEFAULT_CONCURRENCY
    # Where assumed roles are asked for when a profile names no region: the first --region.
    home_region: str | None = None
    # A plan or journal names each target's account: check the credentials reach it first.
    check_accounts: bool = False
    # Worker processes that scan (None: one per core once the run is large enough).
    processes: int | None = None
    # Targets at once in each worker process (None: WORKER_CONCURRENCY; --concurrency sets both).
    per_worker: int | None = None
    # Seconds each attempt of a call waits for its answer (--timeout).
    timeout: float = aws.DEFAULT_READ_TIMEOUT

    @property
    def calls_per_target(self) -> int:
        """How many calls may overlap inside one target: --concurrency 1 is strictly serial."""
        return min(self.concurrency, MAX_CALLS_PER_TARGET)


class Run:
    """One process's live side of a run, built from its Options: SDK sessions and clients, and
    the event SIGINT/SIGTERM sets. Never pickled: a worker process builds its own."""

    def __init__(self, options: Options, stop: threading.Event | None = None) -> None:
        self.options = options
        aws.use_timeout(options.timeout)
        # Each target's client pools as many connections as calls may overlap in it.
        self.sessions = aws.Sessions(
            pool=options.calls_per_target,
            home_region=options.home_region,
            # Every target's clients share a host's connections: as many as calls in flight.
            shared=options.concurrency * options.calls_per_target,
        )
        # Set on SIGINT/SIGTERM: calls not yet sent are skipped, in-flight ones finish.
        self.stop = stop or threading.Event()


# After a stop (SIGINT/SIGTERM), how long the targets in flight get to finish before the run
# reports without them; what they had sent is in the journal, an unanswered call in doubt.
GRACE_SECONDS = 1.5
_POLL_SECONDS = 0.2


def interrupted(item: TargetResult) -> TargetResult:
    """A target the run was stopped before it was done with."""
    error = TargetError("interrupted before this target was done", code=INTERRUPTED)
    return dataclasses.replace(item, error=error)


def _guarded(
    item: TargetResult, work: Callable[[TargetResult], TargetResult], stop: threading.Event | None
) -> TargetResult:
    if stop is not None and stop.is_set():
        return interrupted(item)
    try:
        return work(item)
    except aws.FAILURES as exc:
        return dataclasses.replace(item, error=aws.target_error(exc))


def order(result: TargetResult) -> tuple[str, str, str]:
    """The fixed order results are reported in: account, region, credentials."""
    target = result.target
    return (result.account or target.account or "", target.region, target.credentials.label)


Progress = Callable[[TargetResult], None]
# One target's client of any service, by service name.
Clients = Callable[[str], Any]


def each_target(
    items: Sequence[TargetResult],
    options: Options,
    work: Callable[[TargetResult], TargetResult],
    progress: Progress | None,
    stop: threading.Event | None = None,
) -> list[TargetResult]:
    """`work` on every item, `--concurrency` at once; once `stop` is set, the items in flight
    get GRACE_SECONDS and the rest are reported interrupted."""
    done: list[TargetResult] = []
    pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency))
    # Each target hands itself in when done: waiting costs the same whatever is still pending
    # (concurrent.futures.wait walks every pending future on each call: quadratic in targets,
    # seconds of CPU a worker process at an Organization's size).
    finished: queue.SimpleQueue[Future[TargetResult]] = queue.SimpleQueue()
    futures: dict[Future[TargetResult], TargetResult] = {}
    for item in items:
        future = pool.submit(_guarded, item, work, stop)
        futures[future] = item
        future.add_done_callback(finished.put)
    taken: set[Future[TargetResult]] = set()
    deadline: float | None = None
    try:
        while len(done) < len(futures):
            if deadline is None and stop is not None and stop.is_set():
                deadline = time.monotonic() + GRACE_SECONDS
            left = _POLL_SECONDS if deadline is None else deadline - time.monotonic()
            try:
                future = finished.get(timeout=max(0.0, left))
            except queue.Empty:
                if deadline is not None:
                    break
                continue
            taken.add(future)
            done.append(future.result())
            if progress is not None:
                progress(done[-1])
        if deadline is not None:
            done.extend(interrupted(item) for f, item in futures.items() if f not in taken)
    finally:
        # After a stop the threads still waiting for an answer are not waited for.
        pool.shutdown(wait=deadline is None, cancel_futures=True)
    # Whatever the scheduling, results come out in (account, region, credentials) order.
    return sorted(done, key=order)


class Planning(Protocol):
    """What a command asks of every target: which CIDRs matter, and how to plan for them."""

    @property
    def directions(self) -> frozenset[Direction]:
        """The directions of the entries the request is about."""

    def relevant(self, cidr: Cidr) -> bool:
        """True when an entry allowing this CIDR can matter to the plan."""

    def narrow(self, scope: Scope) -> Scope:
        """The scope to scan for this request (which kinds, which containers)."""

    def ranges(self) -> tuple[Cidr, ...]:
        """The ranges whose holders the request is about (what an inventory searches for)."""

    def plan_target(self, found: Scan, clients: Clients, scope: Scope) -> Plan:
        """The plan for one target's scan; reads more through clients only if it must."""


def scan_target(
    target: Target,
    request: Planning,
    options: Options,
    clients: Clients,
    side: Executor | None = None,
    home: bool = True,
) -> TargetResult:
    """Scan one target with every kind in scope, then plan its changes.

    home: the target where its account's per-account kinds (IAM, S3, CloudFront's WAF) are read.
    A kind that cannot be read fails alone (an ItemFailure); the target fails only when every
    kind did, with the first one's error.
    """
    scope = request.narrow(options.scope)
    partition = aws.partition_of(target.region)
    found = _Found(target.account)
    errors: list[TargetError] = []
    for kind in kinds.enabled(scope):
        if kind.traits.per_account and not home:
            continue
        if kind.traits.partitions is not None and partition not in kind.traits.partitions:
            log.info("%s: %s not read: it does not exist in the %s partition",
                     target.label, kind.name, partition)  # fmt: skip
            continue
        reading = Reading(target, scope, request.relevant, found.account, side, clients)
        try:
            found.add(kind, kind.scan(clients(kind.service), reading))
        except aws.FAILURES as exc:
            error = aws.target_error(exc)
            log.info("%s: %s not read: %s", target.label, kind.name, error)
            found.failures.append(ItemFailure(kind.name, "", error.code, str(error)))
            errors.append(error)
    if errors and not found.read:
        # Every kind failed: the target itself did (credentials, endpoint), as one failure.
        raise errors[0]
    log.info("%s: %d groups scanned, %d entries relevant", target.label, found.groups,
             len(found.entries))  # fmt: skip
    scan = found.scan(target)
    plan = request.plan_target(scan, clients, scope)
    return TargetResult(
        target=target,
        account=found.account,
        groups_scanned=found.groups,
        plan=plan,
        failures=scan.failures,
        notes=scan.notes,
    )


@dataclass
class _Found:
    """What the kinds of one target found so far."""

    account: AccountId | None
    read: int = 0
    groups: int = 0
    entries: list[Entry] = field(default_factory=list)
    room: dict[str, int] = field(default_factory=dict)
    locked: dict[str, str] = field(default_factory=dict)
    quotas: dict[str, Quota] = field(default_factory=dict)
    failures: list[ItemFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: Kind, found: KindScan) -> None:
        """One kind's findings."""
        self.read += 1
        self.entries.extend(found.entries)
        self.room.update(found.room)
        self.locked.update(found.locked)
        self.quotas.update(found.quotas)
        self.failures.extend(found.failures)
        self.notes.extend(found.notes)
        self.account = found.account or self.account
        self.groups += found.containers if kind.traits.counted else 0

    def scan(self, target: Target) -> Scan:
        """The target's scan."""
        return Scan(
            target,
            self.account,
            self.groups,
            tuple(self.entries),
            self.room,
            self.locked,
            self.quotas,
            tuple(self.failures),
            tuple(self.notes),
        )


def scan_and_plan(
    targets: Sequence[Target],
    request: Planning,
    run: Run,
    progress: Progress | None = None,
    *,
    keep: bool = True,
) -> list[TargetResult]:
    """Scan every target and plan its changes; nothing is modified.

    keep: hold the clients of targets with changes, for applying them in this process.
    """
    options = run.options
    if len(targets) >= settle.LARGE:
        services = {kind.service for kind in kinds.enabled(options.scope)}
        settle.settle({*services, "sts"}, targets[0].region)
    left = Left(targets, run.sessions)
    homes = _homes(targets)

    def work(item: TargetResult) -> TargetResult:
        target = item.target
        found: TargetResult | None = None
        try:
            clients = run.sessions.clients(target.credentials, target.region)
            home = homes[target.credentials] == target.region
            found = scan_target(target, request, options, clients, side, home)
            return found
        finally:
            left.done(target, keep=keep and found is not None and bool(found.plan.changes))

    seeds = [TargetResult(target=t, account=t.account) for t in targets]
    # One pool for the calls a target overlaps with its own, shared by every target of the
    # run: no target starts a thread of its own. --concurrency 1: strictly one call at a time.
    side = ThreadPoolExecutor(options.concurrency) if options.concurrency > 1 else None
    try:
        return each_target(seeds, options, work, progress, run.stop)
    finally:
        if side is not None:
            side.shutdown(wait=not run.stop.is_set(), cancel_futures=True)


def _homes(targets: Sequence[Target]) -> dict[Credentials, str]:
    """Where each account's global resources are read: us-east-1 if visited, else its first."""
    homes: dict[Credentials, str] = {}
    # us-east-1 sorts first: global services (IAM, CloudFront's WAF) answer from there.
    for target in sorted(targets, key=lambda t: (t.region != GLOBAL_HOME, t.region)):
        homes.setdefault(target.credentials, target.region)
    return homes


class Left:
    """Targets still to scan per account: an account done with nothing to change is forgotten."""

    def __init__(self, targets: Sequence[Target], sessions: aws.Sessions) -> None:
        self._lock = threading.Lock()
        self._sessions = sessions
        self._left = Counter(t.credentials for t in targets)
        self._kept: set[Credentials] = set()

    def done(self, target: Target, *, keep: bool) -> None:
        """One target scanned; keep its clients only if it has changes to apply."""
        creds = target.credentials
        if not keep:
            self._sessions.release(creds, target.region)
        with self._lock:
            self._left[creds] -= 1
            if keep:
                self._kept.add(creds)
            last = self._left[creds] == 0 and creds not in self._kept
        if last:
            # Sessions and clients are ~250 KiB an account; an Organization has a thousand.
            self._sessions.forget(creds)
