"""Scan in worker processes over account shards, so a large run uses every core."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sgupdater.engine import runner
from sgupdater.engine.targets import ALL_REGIONS, expand, profile_regions
from sgupdater.errors import TargetError
from sgupdater.models import Target, TargetResult

log = logging.getLogger("sgupdater")

# A worker costs about 0.5 s of CPU to start (it imports boto3 afresh) and scans a target in
# about 10 ms (make bench-org): below this many targets a second process does not pay for itself.
TARGETS_PER_PROCESS = 400
# How often the parent looks for a worker that ended without saying it was done.
_POLL_SECONDS = 0.5
# What an account's `--region all` is counted as before its regions are listed (an account's
# regions enabled by default, 2026).
REGIONS_PER_ACCOUNT = 17
# One message from a worker: a target's result, how many more targets its accounts' regions
# made than were counted, or None when it is done.
_Message = tuple[int, TargetResult | int | None]


def weight(targets: Sequence[Target]) -> int:
    """How many targets these stand for once every `--region all` is listed."""
    return sum(REGIONS_PER_ACCOUNT if t.region == ALL_REGIONS else 1 for t in targets)


def defers(options: runner.Options) -> Callable[[int], bool]:
    """Whether `accounts` accounts in every region are enough for worker processes."""
    return lambda accounts: _processes(accounts * REGIONS_PER_ACCOUNT, options) > 1


def processes_for(count: int, asked: int | None) -> int:
    """How many worker processes scan `count` targets: as asked, else one per core that pays."""
    if asked is not None:
        return max(1, min(asked, count))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, count // TARGETS_PER_PROCESS))


def process_count(targets: Sequence[Target], options: runner.Options) -> int:
    """How many processes scan these targets for this run."""
    return _processes(weight(targets), options)


def _processes(count: int, options: runner.Options) -> int:
    # --concurrency 1 promises one call at a time: one process, unless --processes says more.
    if options.per_worker == 1 and options.processes is None:
        return 1
    return processes_for(count, options.processes)


def shards(
    targets: Sequence[Target], count: int, size: Callable[[Sequence[Target]], int] = len
) -> list[list[Target]]:
    """Targets dealt to `count` shards, every target of one account in the same shard.

    One account's session (and its assumed role) is then made in one process only.
    """
    by_account: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        by_account[target.account or target.credentials.label].append(target)
    dealt: list[list[Target]] = [[] for _ in range(count)]
    loads = [0] * count
    # Largest accounts first, each to the lightest shard: shards end up within one account.
    for _, group in sorted(by_account.items(), key=lambda kv: (-size(kv[1]), kv[0])):
        lightest = loads.index(min(loads))
        dealt[lightest].extend(group)
        loads[lightest] += size(group)
    return [shard for shard in dealt if shard]


@dataclass(frozen=True, slots=True)
class _Order:
    """What one worker needs: its targets and how the run was asked for (all picklable)."""

    index: int
    targets: tuple[Target, ...]
    request: runner.Planning
    # The run's settings as the worker runs them (its own --concurrency).
    options: runner.Options
    log_level: int


def _work(order: _Order, results: Any) -> None:
    # The parent alone answers Ctrl-C; a scan writes nothing, so it may simply end workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if order.log_level <= logging.INFO:
        from sgupdater.logs import set_logging

        set_logging(True)
    run = runner.Run(order.options)
    found = _listed(order.targets, run, lambda message: results.put((order.index, message)))
    # The parent applies: nothing of a target is kept here once it is scanned.
    runner.scan_and_plan(
        found, order.request, run, lambda done: results.put((order.index, done)), keep=False
    )
    results.put((order.index, None))


def _listed(
    targets: Sequence[Target], run: runner.Run, send: Callable[[TargetResult | int], None]
) -> list[Target]:
    """The targets with each account's `--region all` listed; failures sent."""
    found = [t for t in targets if t.region != ALL_REGIONS]
    held = [t for t in targets if t.region == ALL_REGIONS]
    if not held:
        return found
    homes = profile_regions(t.credentials.profile for t in held)
    failed = 0
    with ThreadPoolExecutor(max(1, run.options.concurrency)) as pool:
        listing = pool.map(lambda t: expand(run.sessions, t, homes[t.credentials.profile]), held)
        for item in listing:
            if isinstance(item, TargetResult):
                send(item)
                failed += 1
            else:
                found.extend(item)
    # The caller counted each account as REGIONS_PER_ACCOUNT targets: correct its total.
    send(len(found) + failed - weight(targets))
    return found


def scan_and_plan(
    targets: Sequence[Target],
    request: runner.Planning,
    run: runner.Run,
    progress: runner.Progress | None = None,
    grow: Callable[[int], None] | None = None,
) -> list[TargetResult]:
    """runner.scan_and_plan, spread over worker processes when the run is large enough.

    Targets may be deferred `--region all` placeholders (targets.resolve's defer), counted
    as REGIONS_PER_ACCOUNT each: `grow` hears how many more (or fewer) there turned out to be.
    """
    options = run.options
    count = process_count(targets, options)
    if count <= 1:
        return _in_process(targets, request, run, progress, grow)
    parts = shards(targets, count, weight)
    # --concurrency is per process; by default a worker, with a core of its own, runs more.
    each = options.per_worker or runner.WORKER_CONCURRENCY
    log.info("scanning in %d processes of %d targets at once each", len(parts), each)
    level = logging.getLogger("sgupdater").getEffectiveLevel()
    orders = [
        _Order(i, tuple(part), request, dataclasses.replace(options, concurrency=each), level)
        for i, part in enumerate(parts)
    ]
    return _gather(orders, progress, grow, run.stop)


def _in_process(
    targets: Sequence[Target],
    request: runner.Planning,
    run: runner.Run,
    progress: runner.Progress | None,
    grow: Callable[[int], None] | None,
) -> list[TargetResult]:
    """Scan here, listing any deferred `--region all` first (--processes 1, --concurrency 1)."""
    failed: list[TargetResult] = []

    def send(message: TargetResult | int) -> None:
        if isinstance(message, TargetResult):
            failed.append(message)
            if progress is not None:
                progress(message)
        elif grow is not None:
            grow(message)

    found = _listed(targets, run, send)
    results = runner.scan_and_plan(found, request, run, progress)
    return sorted([*failed, *results], key=runner.order)


def _gather(
    orders: Sequence[_Order],
    progress: runner.Progress | None,
    grow: Callable[[int], None] | None,
    stop: threading.Event,
) -> list[TargetResult]:
    # spawn, not fork: the parent may run threads (the progress bar's), which fork would copy
    # in whatever state their locks were in.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_work, args=(o, results), daemon=True) for o in orders]
    for worker in workers:
        worker.start()
    gathered = _Gathered({o.index: [] for o in orders}, progress, grow)
    try:
        while gathered.open:
            if stop.is_set():
                # A scan writes nothing: its workers are simply ended.
                gathered.interrupt(orders)
                break
            try:
                gathered.take(results.get(timeout=_POLL_SECONDS))
            except queue.Empty:
                gathered.check(workers, orders, results)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    merged = [r for part in gathered.done.values() for r in part]
    return sorted(merged, key=runner.order)


class _Gathered:
    """The results received so far, per worker, and the workers not yet done."""

    def __init__(
        self,
        done: dict[int, list[TargetResult]],
        progress: runner.Progress | None,
        grow: Callable[[int], None] | None = None,
    ):
        self.done = done
        self.open = set(done)
        self.progress = progress
        self.grow = grow

    def take(self, item: _Message) -> None:
        """One message of a worker (see _Message)."""
        index, result = item
        if result is None:
            self.open.discard(index)
            return
        if isinstance(result, int):
            if self.grow is not None:
                self.grow(result)
            return
        self.done[index].append(result)
        if self.progress is not None:
            self.progress(result)

    def interrupt(self, orders: Sequence[_Order]) -> None:
        """Report every target not scanned yet as interrupted."""
        for index in sorted(self.open):
            seen = {r.target for r in self.done[index]}
            for target in orders[index].targets:
                if target not in seen:
                    self.done[index].append(
                        runner.interrupted(TargetResult(target, target.account))
                    )
        self.open.clear()

    def check(self, workers: Sequence[Any], orders: Sequence[_Order], results: Any) -> None:
        """Fail the unscanned targets of a worker that died; the others go on."""
        dead = [i for i in sorted(self.open) if workers[i].exitcode not in (None, 0)]
        if not dead:
            return
        # What a dead worker sent before it ended is still in the queue: take it first.
        while True:
            try:
                self.take(results.get(timeout=0.1))
            except queue.Empty:
                break
        for index in dead:
            if index not in self.open:
                continue
            self.open.discard(index)
            seen = {r.target for r in self.done[index]}
            error = TargetError(
                f"the worker process scanning this target ended (exit code "
                f"{workers[index].exitcode}) before it was scanned; nothing was changed",
                code="WorkerEnded",
            )
            for target in orders[index].targets:
                if target not in seen:
                    self.take((index, TargetResult(target, account=target.account, error=error)))
