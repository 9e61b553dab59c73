"""The flows the commands share: scan, show the plan, ask, apply, report."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from sgupdater.aws import sessions as aws
from sgupdater.cli import interrupts, notices
from sgupdater.cli.options import Common
from sgupdater.engine import apply_run, runner, targets, verify, visits, workers
from sgupdater.errors import InputError
from sgupdater.files import plan as planfile
from sgupdater.files import safe as files
from sgupdater.files.journal import Journal, default_path
from sgupdater.models import Target, TargetResult, status_of
from sgupdater.output import layout
from sgupdater.output.report import Extra, OutputFormat
from sgupdater.output.rows import summarise, summary_line
from sgupdater.output.tables import targets_table
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")


def stdout(output: OutputFormat | None) -> tuple[Console, OutputFormat]:
    """The console for results and the format: the one asked for, else by terminal or pipe."""
    console = layout.console(sys.stdout)
    fmt = output or (OutputFormat.table if sys.stdout.isatty() else OutputFormat.tsv)
    return console, fmt


def confirmed(command: str, results: Sequence[TargetResult], count: int) -> bool:
    """Show the plan on stderr and ask; a no says so."""
    err = layout.console(sys.stderr)
    OutputFormat.table.changes_renderer(command, dry_run=True)(err, results)
    with interrupts.asking():
        yes = typer.confirm(f"Apply {count} change(s)?", default=False, err=True)
    if yes:
        return True
    typer.echo("sgupdater: aborted; nothing changed", err=True)
    return False


class _Bar:
    """Advances a progress bar by one finished target; grows it when targets turn out more."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        self._bar, self._task = bar, task
        self._matched = self._applied = 0

    def __call__(self, result: TargetResult) -> None:
        self._matched += len(result.plan.matched)
        self._applied += sum(status_of(o) == "applied" for o in result.outcomes or ())
        n = f"{self._matched} rules matched, {self._applied} changes applied"
        self._bar.update(self._task, advance=1, n=n)

    def grow(self, more: int) -> None:
        """Targets counted before an account's regions were listed: correct the total."""
        total = self._bar.tasks[self._task].total or 0
        self._bar.update(self._task, total=total + more)


@contextmanager
def progress(quiet: bool, total: int, what: str) -> Iterator[_Bar | None]:
    """A bar on stderr while targets finish, when stderr is a terminal and not --quiet."""
    if quiet or not sys.stderr.isatty() or total == 0:
        yield None
        return
    # Targets done of all, matches and changes so far, and the time left at this pace.
    columns = (
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[n]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        yield _Bar(bar, bar.add_task(what, total=total, n=""))


def scan(
    common: Common,
    request: runner.Planning,
    run: runner.Run | None = None,
    *,
    reported: bool = False,
) -> list[TargetResult]:
    """Resolve the targets and scan them; run: the live side the command goes on with.

    With --inventory only the account-regions holding the range are read; reported (show):
    none is, the inventory is reported as it is.
    """
    run = run or runner.Run(common.options, interrupts.STOP)
    inquiry = None
    if common.inventory is not None:
        # Bad input (a kind Config does not answer for, no region) before any call.
        base = next(iter(aws.matching_profiles(common.targets.profiles)), None)
        inquiry = visits.prepare(common.inventory, request, run, base)
    resolved = targets.resolve(
        common.targets,
        run.sessions,
        concurrency=common.options.concurrency,
        # With an inventory no account's regions are listed: the inventory names them.
        defer=(lambda _: True) if inquiry is not None else workers.defers(common.options),
    )
    found = resolved.targets
    left: tuple[TargetResult, ...] = ()
    if inquiry is not None:
        chosen = visits.through(inquiry, found, run)
        notices.inventory(chosen, reported)
        if reported:
            shown = visits.shown(chosen, request, request.narrow(common.options.scope))
            return [*resolved.failures, *resolved.skipped, *chosen.left_out, *shown]
        found, left = chosen.visit, chosen.left_out
    log.info("visiting %d target(s): %s", len(found), ", ".join(t.label for t in found))
    with progress(common.quiet, workers.weight(found), "scanning") as advance:
        grow = advance.grow if advance is not None else None
        results = workers.scan_and_plan(found, request, run, advance, grow)
    read = sum(1 for r in results if not notices.stopped(r))
    interrupts.check(f"during the scan: {read} of {len(results)} targets read")
    notices.notes(results)
    return [*resolved.failures, *resolved.skipped, *left, *results]


def finish(
    results: Sequence[TargetResult],
    common: Common,
    *,
    command: str,
    applied: bool,
    dry_run: bool = False,
) -> int:
    if len(results) > 1 and not common.quiet:
        table = "show" if command == "show" else "applied" if applied else "plan"
        targets_table(layout.console(sys.stderr), results, table)
    return end(results, command=command, applied=applied, dry_run=dry_run)


# --detailed-exitcode: the run succeeded and found something still to do.
PENDING = 3


def detailed(status: int, asked: bool, pending: bool) -> int:
    """The exit status, 3 instead of 0 when --detailed-exitcode is asked and something pends."""
    return PENDING if asked and status == 0 and pending else status


def end(
    results: Sequence[TargetResult], *, command: str, applied: bool, dry_run: bool = False
) -> int:
    failed_targets = notices.failures(results)
    summary = summarise(results)
    line = summary_line(summary, command=command, applied=applied, dry_run=dry_run)
    typer.echo(line, err=True)
    # Blocked: matched but impossible as asked (no room, quota); moved on: skipped, the old
    # range perhaps still trusted there. Either way the job is not done.
    undone = summary.failed or summary.blocked or summary.moved_on
    return 1 if failed_targets or undone else 0


def must_consent(command: str, *, dry_run: bool, yes: bool) -> None:
    """Without a terminal to ask on, a command that writes needs --yes: refused before any read."""
    if not dry_run and not yes and not sys.stdin.isatty():
        raise InputError(
            f"{command} changes AWS and there is no terminal to ask on: pass --yes to apply "
            "without asking, or --dry-run to see the plan"
        )


def change(
    command: str,
    request: runner.Planning,
    common: Common,
    dry_run: bool,
    yes: bool,
    journal_path: Path | None,
    plan_out: Path | None = None,
    scanned: list[TargetResult] | None = None,
    extra: Extra | None = None,
) -> int:
    """Scan, show the plan, ask, apply; `scanned` (when given) receives what the scan found,
    `extra` makes more fields of the JSON report."""
    if plan_out is not None and not dry_run:
        raise InputError("--plan-out goes with --dry-run (then: sgupdater apply PLAN)")
    if common.detailed_exitcode and not dry_run:
        raise InputError("--detailed-exitcode goes with show or --dry-run")
    must_consent(command, dry_run=dry_run, yes=yes)
    # Refused before anything is scanned; creating the file refuses it again, atomically.
    if plan_out is not None:
        files.must_be_new(plan_out, "plan")
    if journal_path is not None:
        files.must_be_new(journal_path, "journal")
    run = runner.Run(common.options, interrupts.STOP)
    results = scan(common, request, run)
    if scanned is not None:
        scanned.extend(results)
    console, fmt = stdout(common.output)
    has_changes = any(r.plan.changes for r in results)
    if dry_run or not has_changes:
        fmt.changes_renderer(command, dry_run=dry_run, extra=extra)(console, results)
        status = finish(results, common, command=command, applied=False, dry_run=dry_run)
        if plan_out is not None:
            _plan_written(plan_out, command, results)
        return detailed(status, common.detailed_exitcode, has_changes)
    # Time passed since the scan (a plan on screen, other targets, another operator): the
    # entries are read again just before the write, and what moved on is skipped, never
    # overwritten, whether the run asked or not.
    expected = {r.target: verify.for_plan(r.plan) for r in results if r.plan.changes}
    how = Applying(common.output, common.quiet, journal_path, yes, extra)
    pending = sum(len(r.plan.changes) for r in results)

    def done(applied: Sequence[TargetResult]) -> int:
        return finish(applied, common, command=command, applied=True)

    return carry_out(command, expected, run, how, pending, results, done)


def _plan_written(plan_out: Path, command: str, results: list[TargetResult]) -> None:
    """Write the plan file and say how to review and apply it."""
    count, digest = planfile.write(plan_out, command, results)
    typer.echo(
        f"plan: {plan_out} ({count} changes, sha256 {digest}); review it with "
        f"sgupdater show-plan {plan_out}; after review: "
        f"sgupdater apply {plan_out} --sha256 {digest}",
        err=True,
    )


@dataclass(frozen=True, slots=True)
class FileRun:
    """How apply and rollback run: the common options, the journal, asking or not."""

    output: OutputFormat | None
    quiet: bool
    concurrency: int
    journal: Path | None
    yes: bool = False
    dry_run: bool = False
    # What the run allows the kinds beyond the file's changes (e.g. pruning policy versions).
    allow: frozenset[str] = frozenset()
    # With dry_run: exit 3 when something is pending.
    detailed_exitcode: bool = False
    # Seconds each attempt of a call waits for its answer (--timeout).
    timeout: float | None = None


def apply_expected(
    command: str, expected: dict[Target, list[verify.Expect]], asked: FileRun
) -> int:
    """Check changes against the rules as they are now, ask, apply the valid ones."""
    must_consent(command, dry_run=asked.dry_run, yes=asked.yes)
    # Assumed roles are asked for where the first of the file's targets is; the file names
    # the accounts, which the credentials must reach before anything is sent.
    home = next((t.region for t in expected), None)
    live = runner.Run(
        runner.Options(
            Scope(switches=asked.allow),
            concurrency=asked.concurrency,
            home_region=home,
            check_accounts=True,
            timeout=asked.timeout or aws.DEFAULT_READ_TIMEOUT,
        ),
        interrupts.STOP,
    )
    console, fmt = stdout(asked.output)
    with progress(asked.quiet, len(expected), "checking") as advance:
        results = apply_run.apply_checked(expected, live, dry_run=True, progress=advance)
    interrupts.check("while the containers were read again")
    pending = sum(o is None for r in results for o in r.outcomes or ())
    if asked.dry_run or not pending:
        fmt.changes_renderer(command, dry_run=asked.dry_run)(console, results)
        status = end(results, command=command, applied=False, dry_run=asked.dry_run)
        return detailed(status, asked.detailed_exitcode, pending > 0)
    how = Applying(asked.output, asked.quiet, asked.journal, asked.yes)

    def done(applied: Sequence[TargetResult]) -> int:
        return end(applied, command=command, applied=True)

    return carry_out(command, expected, live, how, pending, results, done)


@dataclass(frozen=True, slots=True)
class Applying:
    """How a run that writes talks to its operator: output, progress, journal, consent."""

    output: OutputFormat | None
    quiet: bool
    journal: Path | None
    yes: bool
    # More fields of the JSON report (report.Extra).
    extra: Extra | None = None


def carry_out(
    command: str,
    expected: dict[Target, list[verify.Expect]],
    run: runner.Run,
    how: Applying,
    pending: int,
    shown: list[TargetResult],
    done: Callable[[Sequence[TargetResult]], int],
) -> int:
    """The one way every command writes, fed by a scan or by a file: ask, journal, re-read and
    apply (apply_checked), render, report; `shown`: the plan the operator is asked about."""
    # Without --yes there is a terminal to ask on: must_consent refused the run otherwise.
    if not how.yes and not confirmed(command, shown, pending):
        return 1
    console, fmt = stdout(how.output)
    journal = Journal(how.journal or default_path(), command)
    with journalled(journal), progress(how.quiet, len(expected), "applying") as advance:
        results = apply_run.apply_checked(
            expected, run, dry_run=False, journal=journal, seeds=shown, progress=advance
        )
    render = fmt.changes_renderer(command, dry_run=False, journal=journal.path, extra=how.extra)
    render(console, results)
    return closing(results, journal, run, done(results))


@contextmanager
def journalled(journal: Journal) -> Iterator[None]:
    """Open and close the journal around applying (closed after an interruption too)."""
    journal.start()
    try:
        yield
    finally:
        journal.end()


def closing(results: Sequence[TargetResult], journal: Journal, run: runner.Run, status: int) -> int:
    """Name the journal; after an interruption say what was and was not done, and exit 130."""
    typer.echo(f"journal: {journal.path} (undo with: sgupdater rollback {journal.path})", err=True)
    if not run.stop.is_set():
        return status
    statuses = [status_of(o) for r in results for o in r.outcomes or ()]
    cut = sum(1 for r in results if notices.stopped(r))
    busy = f", {cut} target(s) stopped mid-way (their calls are in the journal)" if cut else ""
    typer.echo(
        f"sgupdater: interrupted: {statuses.count('applied')} change(s) applied, "
        f"{statuses.count('skipped')} not sent{busy}; run the same command again to finish",
        err=True,
    )
    return 130
