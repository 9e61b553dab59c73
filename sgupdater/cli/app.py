"""The command line: parse, call the pipeline, render. The only place that prints or exits."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from sgupdater import __version__, kinds
from sgupdater.cidrs import Mapping, check_mappings
from sgupdater.cli import file_commands as cli_files
from sgupdater.cli import interrupts, owned
from sgupdater.cli import mappings as mappings_of
from sgupdater.cli import migrate_command as cli_migrate
from sgupdater.cli import rewrite_command as cli_rewrite
from sgupdater.cli.examples import epilog
from sgupdater.cli.flows import change, detailed, finish, scan, stdout
from sgupdater.cli.options import (
    Common,
    DryRun,
    FromCidr,
    JournalPath,
    MatchChoice,
    OpenWorld,
    PlanOut,
    ToCidr,
    Yes,
    cidr_option,
    with_common,
)
from sgupdater.engine.planner import Operation, Request, Strategy
from sgupdater.errors import InputError, SgupdaterError
from sgupdater.models import TargetResult

app = typer.Typer(
    name="sgupdater",
    help="Find every security-group rule that trusts a CIDR and make it trust another.",
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell (typer's).
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


SourceOpt = Annotated[
    list[Path] | None,
    typer.Option("--source", metavar="PATH",
                 help="IaC sources to search (repeatable): where each code-owned resource's "
                 "range stands (the iac extra)."),
]  # fmt: skip


class StrategyChoice(str, Enum):
    """How a CIDR is replaced."""

    modify = "modify"
    authorize_revoke = "authorize-revoke"


def _request(
    common: Common,
    operation: Operation,
    mappings: tuple[Mapping, ...],
    how: Strategy = "modify",
) -> Request:
    within = common.match is MatchChoice.within
    mappings_of.check_match(operation, within=within, renumber=common.renumber)
    for kind in kinds.enabled(common.options.scope):
        if operation == "add" and kind.traits.in_place_only and kind.switch is not None:
            raise InputError(
                f"add does not take {kind.switch.flag}: an entry's rule number orders it, so there "
                "is no 'beside'; use update, which replaces entries in place"
            )
    return Request(
        operation,
        mappings,
        how,
        common.directions(),
        match=common.match.value,
        renumber=common.renumber,
        skip_managed=common.skip_managed,
    )


def _check(common: Common, mappings: tuple[Mapping, ...], *, open_world: bool) -> None:
    within = common.match is MatchChoice.within
    check_mappings(mappings, allow_open_world=open_world, within=within, renumber=common.renumber)


@app.command(epilog=epilog("show"))
@with_common("show")
def show(
    common: Common,
    from_cidr: FromCidr = None,
    to_cidr: Annotated[
        str | None, cidr_option("--to-cidr", "Only rules not already allowing this CIDR too.")
    ] = None,
    source: SourceOpt = None,
) -> int:
    """List every rule allowing --from-cidr (with --to-cidr: those that still lack it)."""
    mappings = mappings_of.given(from_cidr, to_cidr, common.mappings)
    _check(common, mappings, open_world=True)
    request = _request(common, "show", mappings)
    results = scan(common, request, reported=True)
    console, fmt = stdout(common.output)
    places = owned.Places(source, request) if source else None
    fmt.rules_renderer(places.fields if places else None)(console, results)
    status = finish(results, common, command="show", applied=False)
    if places is not None:
        places.report(results)
    return detailed(status, common.detailed_exitcode, any(r.plan.matched for r in results))


def _replacements(
    common: Common, source: str | None, target: str | None, open_world: bool
) -> tuple[Mapping, ...]:
    mappings = mappings_of.replacing(mappings_of.given(source, target, common.mappings))
    _check(common, mappings, open_world=open_world)
    return mappings


@app.command(epilog=epilog("update"))
@with_common("update")
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
    plan_out: PlanOut = None,
    source: SourceOpt = None,
) -> int:
    """Replace --from-cidr by --to-cidr in every matching rule, keeping ports and description."""
    mappings = _replacements(common, from_cidr, to_cidr, allow_open_world)
    chosen: Strategy = strategy.value
    request = _request(common, "update", mappings, chosen)
    found: list[TargetResult] = []
    places = owned.Places(source, request) if source else None
    extra = places.fields if places else None
    status = change("update", request, common, dry_run, yes, journal, plan_out, found, extra)
    if places is not None:
        places.report(found)
    return status


@app.command(epilog=epilog("add"))
@with_common("add")
def add(
    common: Common,
    from_cidr: FromCidr = None,
    to_cidr: ToCidr = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    allow_open_world: OpenWorld = False,
    journal: JournalPath = None,
    plan_out: PlanOut = None,
) -> int:
    """Allow --to-cidr beside --from-cidr wherever --from-cidr is allowed."""
    mappings = _replacements(common, from_cidr, to_cidr, allow_open_world)
    request = _request(common, "add", mappings)
    return change("add", request, common, dry_run, yes, journal, plan_out)


@app.command(epilog=epilog("remove"))
@with_common("remove")
def remove(
    common: Common,
    cidr: Annotated[str | None, cidr_option("--cidr", "The CIDR whose rules are revoked.")] = None,
    only_where: Annotated[
        str | None, cidr_option("--only-where", "Only where this CIDR is already allowed alike.")
    ] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    journal: JournalPath = None,
    plan_out: PlanOut = None,
) -> int:
    """Revoke the rules allowing --cidr (with --only-where: the safe second half of a move)."""
    mappings = mappings_of.given(
        cidr, only_where, common.mappings, names=("--cidr", "--only-where")
    )
    for m in mappings:
        if m.target is not None and m.target.version != m.source.version:
            raise InputError(
                f"--cidr {m.source} and --only-where {m.target} are of different IP families"
            )
        if m.target == m.source:
            raise InputError(f"--cidr and --only-where are the same ({m.source})")
    if common.match is MatchChoice.within:
        _check(common, mappings, open_world=True)
    request = _request(common, "remove", mappings)
    return change("remove", request, common, dry_run, yes, journal, plan_out)


app.command(name="migrate", epilog=epilog("migrate"))(with_common()(cli_migrate.migrate))


app.command(name="rollback", epilog=epilog("rollback"))(cli_files.rollback_command)
app.command(name="apply", epilog=epilog("apply"))(cli_files.apply_command)
app.command(name="show-plan", epilog=epilog("show-plan"))(cli_files.show_plan_command)
app.command(name="rewrite", epilog=epilog("rewrite"))(cli_rewrite.rewrite_command)


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
        with interrupts.handled():
            status = command.main(
                args=list(argv) if argv is not None else None,
                prog_name="sgupdater",
                standalone_mode=False,
            )
    except typer.TyperException as exc:
        # NOTE: typer vendors click; its usage errors (exit code 2) are only public as this base.
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        # typer words a bad choice as "Value error, …": the value and the choices are the news.
        message = exc.format_message().replace("Value error, ", "")
        typer.echo(f"sgupdater: error: {message}{hint}", err=True)
        return int(getattr(exc, "exit_code", 2))
    except typer.Abort:
        typer.echo("sgupdater: interrupted; nothing was changed", err=True)
        return 130
    except interrupts.Interrupted as exc:
        typer.echo(f"sgupdater: {exc}", err=True)
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
    status = main()
    if interrupts.STOP.is_set():
        # Stopped: threads still waiting for an answer are not waited for (they send nothing
        # more, and the journal is closed).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
