"""The command line: parse, call the pipeline, render. The only place that prints or exits."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sgupdater import __version__, rollback, runner, targets
from sgupdater.cidrs import Mapping, check_mappings, parse_cidr
from sgupdater.cli_options import Common, with_common
from sgupdater.errors import InputError, SgupdaterError
from sgupdater.journal import Journal, default_path
from sgupdater.journal import read as read_journal
from sgupdater.models import TargetResult, status_of
from sgupdater.planner import Operation, Request, Strategy
from sgupdater.report import (
    OutputFormat,
    failure_rows,
    summarise,
    summary_line,
    targets_table,
)

log = logging.getLogger("sgupdater")

app = typer.Typer(
    name="sgupdater",
    help="Find every security-group rule that trusts a CIDR and make it trust another.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class StrategyChoice(str, Enum):
    """How a CIDR is replaced."""

    modify = "modify"
    authorize_revoke = "authorize-revoke"


def _cidr_option(flag: str, text: str) -> object:
    return typer.Option(flag, metavar="CIDR", help=text)


FromCidr = Annotated[str | None, _cidr_option("--from-cidr", "The CIDR to look for.")]
ToCidr = Annotated[str | None, _cidr_option("--to-cidr", "The CIDR to allow instead.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")]
JournalPath = Annotated[
    Path | None,
    typer.Option(
        "--journal", metavar="PATH", help="Where to write the journal (default: state directory)."
    ),
]
OpenWorld = Annotated[
    bool, typer.Option("--allow-open-world", help="Allow 0.0.0.0/0 or ::/0 as the new CIDR.")
]


def _mappings(
    common: Common, source: str | None, target: str | None, *, names: tuple[str, str]
) -> tuple[Mapping, ...]:
    """The from → to pairs: from the flags, else from the configuration file."""
    if source is not None:
        kept = parse_cidr(target, option=names[1]) if target is not None else None
        return (Mapping(parse_cidr(source, option=names[0]), kept),)
    if target is not None:
        raise InputError(f"{names[1]} needs {names[0]}")
    if common.settings is None or not common.settings.mappings:
        raise InputError(f"pass {names[0]}, or --config with a 'mappings' list")
    return common.settings.mappings


def _stdout(common: Common) -> tuple[Console, OutputFormat]:
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False)
    fmt = common.output or (OutputFormat.table if sys.stdout.isatty() else OutputFormat.tsv)
    return console, fmt


@contextmanager
def _progress(
    common: Common, total: int, what: str
) -> Iterator[Callable[[TargetResult], None] | None]:
    """A bar on stderr while targets finish, when stderr is a terminal and not --quiet."""
    if common.quiet or not sys.stderr.isatty() or total == 0:
        yield None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[n]}"))
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task(what, total=total, n="")
        counts = {"matched": 0, "applied": 0}

        def advance(result: TargetResult) -> None:
            counts["matched"] += len(result.plan.matched)
            counts["applied"] += sum(status_of(o) == "applied" for o in result.outcomes or ())
            n = f"{counts['matched']} rules matched, {counts['applied']} changes applied"
            bar.update(task, advance=1, n=n)

        yield advance


def _report_failures(results: Sequence[TargetResult]) -> int:
    failed = 0
    for row in failure_rows(results):
        failed += 1
        who = row["role_arn"] or row["profile"] or "default credentials"
        if row["account"] and row["account"] not in who:
            who += f" ({row['account']})"
        typer.echo(f"sgupdater: {who} / {row['region']}: {row['message']}", err=True)
    return failed


def _scan(common: Common, request: Request) -> list[TargetResult]:
    options = common.options
    resolved = targets.resolve(common.targets, options.sessions, concurrency=common.concurrency)
    found = resolved.targets
    log.info("visiting %d target(s): %s", len(found), ", ".join(t.label for t in found))
    with _progress(common, len(found), "scanning") as advance:
        results = runner.scan_and_plan(found, request, options, advance)
    return [*resolved.failures, *results]


def _finish(results: Sequence[TargetResult], common: Common, *, command: str, applied: bool) -> int:
    if len(results) > 1 and not common.quiet:
        targets_table(Console(file=sys.stderr, highlight=False), results, applied=applied)
    return _end(results, command=command, applied=applied)


def _end(results: Sequence[TargetResult], *, command: str, applied: bool) -> int:
    failed_targets = _report_failures(results)
    summary = summarise(results)
    typer.echo(summary_line(summary, command=command, applied=applied), err=True)
    return 1 if failed_targets or summary.failed else 0


def _change(
    command: Operation,
    request: Request,
    common: Common,
    dry_run: bool,
    yes: bool,
    journal_path: Path | None,
) -> int:
    results = _scan(common, request)
    console, fmt = _stdout(common)
    has_changes = any(r.plan.changes for r in results)
    if dry_run or not has_changes:
        fmt.changes_renderer(command, dry_run=True)(console, results)
        return _finish(results, common, command=command, applied=False)
    if sys.stdin.isatty() and not yes:
        err = Console(file=sys.stderr, highlight=False)
        OutputFormat.table.changes_renderer(command, dry_run=True)(err, results)
        count = sum(len(r.plan.changes) for r in results)
        if not typer.confirm(f"Apply {count} change(s)?", default=False, err=True):
            typer.echo("sgupdater: aborted; nothing changed", err=True)
            return 1
    journal = Journal(journal_path or default_path(), command)
    journal.start()
    try:
        with _progress(common, len(results), "applying") as advance:
            results = runner.apply_all(results, common.options, advance, journal)
    finally:
        journal.end()
    fmt.changes_renderer(command, dry_run=False)(console, results)
    status = _finish(results, common, command=command, applied=True)
    typer.echo(f"journal: {journal.path} (undo with: sgupdater rollback {journal.path})", err=True)
    return status


@app.command()
@with_common
def show(
    common: Common,
    from_cidr: FromCidr = None,
    to_cidr: Annotated[
        str | None, _cidr_option("--to-cidr", "Only rules not already allowing this CIDR too.")
    ] = None,
) -> int:
    """List every rule allowing --from-cidr (with --to-cidr: those that still lack it)."""
    mappings = _mappings(common, from_cidr, to_cidr, names=("--from-cidr", "--to-cidr"))
    check_mappings(mappings, allow_open_world=True)
    results = _scan(common, Request("show", mappings, directions=common.directions()))
    console, fmt = _stdout(common)
    fmt.rules_renderer()(console, results)
    return _finish(results, common, command="show", applied=False)


def _replacements(
    common: Common, source: str | None, target: str | None, open_world: bool
) -> tuple[Mapping, ...]:
    mappings = _mappings(common, source, target, names=("--from-cidr", "--to-cidr"))
    if any(m.target is None for m in mappings):
        raise InputError("every mapping needs a to-cidr (--to-cidr, or 'to' in the config file)")
    check_mappings(mappings, allow_open_world=open_world)
    return mappings


@app.command()
@with_common
def update(
    common: Common,
    from_cidr: FromCidr = None,
    to_cidr: ToCidr = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    strategy: Annotated[
        StrategyChoice,
        typer.Option(
            "--strategy",
            metavar="STRATEGY",
            help="modify: in place (default); authorize-revoke: add, then drop.",
        ),
    ] = StrategyChoice.modify,
    allow_open_world: OpenWorld = False,
    journal: JournalPath = None,
) -> int:
    """Replace --from-cidr by --to-cidr in every matching rule, keeping ports and description."""
    mappings = _replacements(common, from_cidr, to_cidr, allow_open_world)
    chosen: Strategy = strategy.value
    request = Request("update", mappings, chosen, common.directions())
    return _change("update", request, common, dry_run, yes, journal)


@app.command()
@with_common
def add(
    common: Common,
    from_cidr: FromCidr = None,
    to_cidr: ToCidr = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    allow_open_world: OpenWorld = False,
    journal: JournalPath = None,
) -> int:
    """Allow --to-cidr beside --from-cidr wherever --from-cidr is allowed."""
    mappings = _replacements(common, from_cidr, to_cidr, allow_open_world)
    request = Request("add", mappings, directions=common.directions())
    return _change("add", request, common, dry_run, yes, journal)


@app.command()
@with_common
def remove(
    common: Common,
    cidr: Annotated[str | None, _cidr_option("--cidr", "The CIDR whose rules are revoked.")] = None,
    only_where: Annotated[
        str | None, _cidr_option("--only-where", "Only where this CIDR is already allowed alike.")
    ] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    journal: JournalPath = None,
) -> int:
    """Revoke the rules allowing --cidr (with --only-where: the safe second half of a move)."""
    mappings = _mappings(common, cidr, only_where, names=("--cidr", "--only-where"))
    for m in mappings:
        if m.target is not None and m.target.version != m.source.version:
            raise InputError(
                f"--cidr {m.source} and --only-where {m.target} are of different IP families"
            )
        if m.target == m.source:
            raise InputError(f"--cidr and --only-where are the same ({m.source})")
    request = Request("remove", mappings, directions=common.directions())
    return _change("remove", request, common, dry_run, yes, journal)


@app.command(name="rollback")
def rollback_command(
    journal_file: Annotated[Path, typer.Argument(metavar="JOURNAL", help="A run's journal.")],
    dry_run: DryRun = False,
    yes: Yes = False,
    output: Annotated[
        OutputFormat | None,
        typer.Option("--output", "-o", metavar="FORMAT", help="table, tsv or json."),
    ] = None,
    journal: JournalPath = None,
) -> int:
    """Restore exactly the rules a journalled run changed; rules changed since are skipped."""
    undos = rollback.undos(read_journal(journal_file))
    common_options = runner.Options()
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False)
    fmt = output or (OutputFormat.table if sys.stdout.isatty() else OutputFormat.tsv)
    results = runner.rollback_all(undos, common_options, dry_run=True)
    pending = sum(o is None for r in results for o in r.outcomes or ())
    if dry_run or not pending:
        fmt.changes_renderer("rollback", dry_run=True)(console, results)
        return _end(results, command="rollback", applied=False)
    if sys.stdin.isatty() and not yes:
        err = Console(file=sys.stderr, highlight=False)
        OutputFormat.table.changes_renderer("rollback", dry_run=True)(err, results)
        if not typer.confirm(f"Roll back {pending} change(s)?", default=False, err=True):
            typer.echo("sgupdater: aborted; nothing changed", err=True)
            return 1
    record = Journal(journal or default_path(), "rollback")
    record.start()
    try:
        results = runner.rollback_all(undos, common_options, dry_run=False, journal=record)
    finally:
        record.end()
    fmt.changes_renderer("rollback", dry_run=False)(console, results)
    status = _end(results, command="rollback", applied=True)
    typer.echo(f"journal: {record.path}", err=True)
    return status


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sgupdater {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Find every security-group rule that trusts a CIDR and make it trust another."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit status: 0 ok, 1 something failed, 2 bad input."""
    command = typer.main.get_command(app)
    try:
        status = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="sgupdater",
            standalone_mode=False,
        )
    except typer.TyperException as exc:
        # NOTE: typer vendors click; its usage errors (exit code 2) are only public as this base.
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        typer.echo(f"sgupdater: error: {exc.format_message()}{hint}", err=True)
        return int(getattr(exc, "exit_code", 2))
    except typer.Abort:
        typer.echo("sgupdater: interrupted", err=True)
        return 130
    except InputError as exc:
        typer.echo(f"sgupdater: error: {exc}", err=True)
        return 2
    except SgupdaterError as exc:
        typer.echo(f"sgupdater: {exc}", err=True)
        return 1
    except Exception as exc:
        # A bug of ours: one line for the user, the traceback only when asked for.
        if os.environ.get("SGUPDATER_DEBUG"):
            raise
        typer.echo(
            f"sgupdater: internal error: {type(exc).__name__}: {exc} "
            "(set SGUPDATER_DEBUG=1 for the traceback, and please report it)",
            err=True,
        )
        return 1
    return status if isinstance(status, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
