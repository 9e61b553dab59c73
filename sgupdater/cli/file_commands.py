"""The commands that act on files: show and apply a reviewed plan, roll back a journalled run."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Any

import typer

from sgupdater.cli.flows import PENDING, FileRun, apply_expected, stdout
from sgupdater.cli.options import (
    Concurrency,
    DryRun,
    JournalPath,
    OpenWorld,
    OutputOpt,
    Quiet,
    Timeout,
    Verbose,
    Yes,
    with_allowances,
)
from sgupdater.engine import rollback, verify
from sgupdater.engine.runner import DEFAULT_CONCURRENCY
from sgupdater.errors import InputError
from sgupdater.files import journal as journal_file
from sgupdater.files import plan as planfile
from sgupdater.files import safe as files
from sgupdater.files.journal import journalled
from sgupdater.logs import set_logging
from sgupdater.models import Target, TargetResult
from sgupdater.output import review
from sgupdater.output.report import OutputFormat

Sha256 = Annotated[
    str | None,
    typer.Option(
        "--sha256",
        metavar="HEX",
        help="Apply only if the plan file's SHA-256 is this (as --plan-out printed it).",
    ),
]


def _warn(path: Path, what: str) -> None:
    files.must_be_regular(path, what)
    # A file anyone else can rewrite is not the file that was reviewed: say so, then go on.
    for risk in files.risks(path):
        typer.echo(f"sgupdater: warning: {risk}", err=True)


@with_allowances
def apply_command(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN", help="A plan from --plan-out.")],
    sha256: Sha256 = None,
    yes: Yes = False,
    allow_open_world: OpenWorld = False,
    output: OutputOpt = None,
    journal: JournalPath = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    concurrency: Concurrency = None,
    timeout: Timeout = None,
    allow: frozenset[str] = frozenset(),
) -> int:
    """Apply exactly a reviewed plan; rules that drifted since it was made are skipped."""
    set_logging(verbose)
    _warn(plan_file, "plan")
    plans = planfile.read(plan_file, sha256=sha256, open_world=allow_open_world)
    expected = {target: verify.for_plan(plan) for target, plan in plans.items()}
    each = concurrency or DEFAULT_CONCURRENCY
    run = FileRun(
        output, quiet, each, journal, yes=yes, dry_run=False, allow=allow, timeout=timeout
    )
    return apply_expected("apply", expected, run)


def rollback_command(
    journal_paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="JOURNAL...", help="Journals of runs, newest first."),
    ] = None,
    last: Annotated[
        bool, typer.Option("--last", help="The newest journal in the state directory.")
    ] = False,
    dry_run: DryRun = False,
    yes: Yes = False,
    allow_open_world: OpenWorld = False,
    output: OutputOpt = None,
    journal: JournalPath = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    concurrency: Concurrency = None,
    timeout: Timeout = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="With --dry-run: exit 3 when something would be undone."
        ),
    ] = False,
) -> int:
    """Restore exactly the rules journalled runs changed, newest first; rules changed since
    are skipped."""
    set_logging(verbose)
    if detailed_exitcode and not dry_run:
        raise InputError("--detailed-exitcode goes with --dry-run")
    journals = _journals(journal_paths or [], last=last)
    if journal is not None and len(journals) > 1:
        raise InputError("--journal names one file: leave it out to roll back several journals")
    # Every journal is checked whole before the first is rolled back.
    undos = [
        (path, rollback.undos(journalled(str(path), lines, open_world=allow_open_world)))
        for path, lines in journals
    ]
    run = FileRun(
        output,
        quiet,
        concurrency or DEFAULT_CONCURRENCY,
        journal,
        yes=yes,
        dry_run=dry_run,
        detailed_exitcode=detailed_exitcode,
        timeout=timeout,
    )
    return _roll_back(undos, run)


def _roll_back(undos: list[tuple[Path, dict[Target, list[verify.Expect]]]], run: FileRun) -> int:
    """Each journal's undo in turn, newest first; one that does not finish stops the rest."""
    status = 0
    for n, (path, expected) in enumerate(undos):
        if len(undos) > 1:
            typer.echo(f"rollback {n + 1} of {len(undos)}: {path}", err=True)
        status = apply_expected("rollback", expected, run)
        if status not in (0, PENDING) and n + 1 < len(undos):
            rest = ", ".join(str(p) for p, _ in undos[n + 1 :])
            typer.echo(f"sgupdater: stopped: {path} did not roll back whole; not {rest}", err=True)
            return status
    return status


def _journals(given: list[Path], *, last: bool) -> list[tuple[Path, list[tuple[int, Any]]]]:
    """The journals to roll back with their lines, each read once, newest first (refused in
    another order)."""
    if last and given:
        raise InputError("give JOURNAL... or --last, not both")
    if last:
        found, lines = journal_file.last()
        _warn(found, "journal")
        typer.echo(f"rollback --last: {found}", err=True)
        return [(found, lines)]
    if not given:
        raise InputError("name the journal(s) to roll back, or pass --last")
    read = []
    for path in given:
        # A device or a directory is refused before it is read (it could be read forever).
        _warn(path, "journal")
        read.append((path, journal_file.read(path)))
    times = [(journal_file.started(lines)[0], path) for path, lines in read]
    for (newer, first), (older, second) in itertools.pairwise(times):
        if older > newer:
            raise InputError(
                f"give the journals newest first: {second} (started {older}) is newer than "
                f"{first} (started {newer})"
            )
    return read


def show_plan_command(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN", help="A plan from --plan-out.")],
    output: Annotated[
        OutputFormat,
        typer.Option("--output", "-o", metavar="FORMAT", help="table, markdown, json or tsv."),
    ] = OutputFormat.table,
    allow_open_world: OpenWorld = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 3 when the plan changes something."),
    ] = False,
) -> int:
    """Show a saved plan for review, checked as apply checks it; nothing is read from AWS."""
    _warn(plan_file, "plan")
    loaded = planfile.load(plan_file, open_world=allow_open_world)
    results = [
        TargetResult(target, target.account, plan=plan) for target, plan in loaded.plans.items()
    ]
    view = review.PlanView(str(plan_file), loaded.sha256, loaded.command, loaded.created, results)
    review.show(stdout(output)[0], output, view)
    return PENDING if detailed_exitcode and any(r.plan.changes for r in results) else 0
