"""The command line: parse, call the pipeline, render. The only place that prints or exits."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console

from sgupdater import __version__, runner, targets
from sgupdater._types import Direction
from sgupdater.cidrs import Mapping, check_mappings, parse_cidr
from sgupdater.errors import InputError, SgupdaterError
from sgupdater.models import TargetResult
from sgupdater.planner import BOTH, Operation, Request, Strategy
from sgupdater.report import OutputFormat, failure_rows, summarise, summary_line
from sgupdater.scanner import MAX_PAGE_SIZE, Scope

log = logging.getLogger("sgupdater")

app = typer.Typer(
    name="sgupdater",
    help="Find every security-group rule that trusts a CIDR and make it trust another.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class DirectionChoice(str, Enum):
    """Which rules to look at."""

    ingress = "ingress"
    egress = "egress"
    both = "both"


class StrategyChoice(str, Enum):
    """How a CIDR is replaced."""

    modify = "modify"
    authorize_revoke = "authorize-revoke"


FromCidr = Annotated[str, typer.Option("--from-cidr", metavar="CIDR", help="The CIDR to look for.")]
ToCidr = Annotated[
    str, typer.Option("--to-cidr", metavar="CIDR", help="The CIDR to allow instead.")
]
Regions = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        "-r",
        metavar="REGION",
        help="Region to visit (repeatable). Default: the profile's.",
    ),
]
Profiles = Annotated[
    list[str] | None,
    typer.Option(
        "--profile",
        "-p",
        metavar="PROFILE",
        help="Profile to use (repeatable). Default: credential chain.",
    ),
]
DirectionOpt = Annotated[
    DirectionChoice, typer.Option("--direction", metavar="DIR", help="ingress, egress or both.")
]
GroupIds = Annotated[
    list[str] | None,
    typer.Option("--group-id", metavar="SG_ID", help="Only this security group (repeatable)."),
]
VpcId = Annotated[
    str | None, typer.Option("--vpc-id", metavar="VPC_ID", help="Only groups of this VPC.")
]
Output = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FORMAT",
        help="table, tsv or json. Default: table on a terminal, tsv.",
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log each step to stderr.")]
PageSize = Annotated[
    int,
    typer.Option(
        "--page-size", metavar="N", min=5, max=MAX_PAGE_SIZE, help="Items per describe call."
    ),
]
Concurrency = Annotated[
    int,
    typer.Option("--concurrency", metavar="N", min=1, max=64, help="Targets processed at once."),
]
OpenWorld = Annotated[
    bool, typer.Option("--allow-open-world", help="Allow 0.0.0.0/0 or ::/0 as the new CIDR.")
]
StrategyOpt = Annotated[
    StrategyChoice,
    typer.Option(
        "--strategy",
        metavar="STRATEGY",
        help="modify: in place (default); authorize-revoke: add, then drop.",
    ),
]


@dataclass(frozen=True, slots=True)
class Common:
    """The options every command takes."""

    regions: Sequence[str]
    profiles: Sequence[str]
    direction: DirectionChoice
    group_ids: Sequence[str]
    vpc_id: str | None
    output: OutputFormat | None
    verbose: bool
    page_size: int
    concurrency: int

    def directions(self) -> frozenset[Direction]:
        """The directions the user asked for."""
        if self.direction is DirectionChoice.both:
            return BOTH
        return (
            frozenset(("ingress",))
            if self.direction is DirectionChoice.ingress
            else frozenset(("egress",))
        )

    def options(self) -> runner.Options:
        """The runner options these flags ask for."""
        scope = Scope(frozenset(self.group_ids), self.vpc_id, self.page_size)
        return runner.Options(scope=scope, concurrency=self.concurrency)


def _common(
    regions: list[str] | None,
    profiles: list[str] | None,
    direction: DirectionChoice,
    group_ids: list[str] | None,
    vpc_id: str | None,
    output: OutputFormat | None,
    verbose: bool,
    page_size: int,
    concurrency: int,
) -> Common:
    if verbose:
        logging.basicConfig(level=logging.INFO, format="sgupdater: %(message)s", stream=sys.stderr)
    return Common(
        regions or (),
        profiles or (),
        direction,
        group_ids or (),
        vpc_id,
        output,
        verbose,
        page_size,
        concurrency,
    )


def _stdout(common: Common) -> tuple[Console, OutputFormat]:
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False)
    fmt = common.output or (OutputFormat.table if sys.stdout.isatty() else OutputFormat.tsv)
    return console, fmt


def _report_failures(results: Sequence[TargetResult]) -> int:
    failed = 0
    for row in failure_rows(results):
        failed += 1
        who = row["profile"] or "default credentials"
        if row["account"]:
            who += f" ({row['account']})"
        typer.echo(f"sgupdater: {who} / {row['region']}: {row['message']}", err=True)
    return failed


def _scan(common: Common, request: Request) -> list[TargetResult]:
    found = targets.resolve(common.profiles, common.regions)
    log.info("visiting %d target(s): %s", len(found), ", ".join(t.label for t in found))
    return runner.scan_and_plan(found, request, common.options())


def _finish(results: Sequence[TargetResult], *, command: str, applied: bool) -> int:
    failed_targets = _report_failures(results)
    summary = summarise(results)
    typer.echo(summary_line(summary, command=command, applied=applied), err=True)
    return 1 if failed_targets or summary.failed else 0


def _change(command: Operation, request: Request, common: Common, dry_run: bool, yes: bool) -> int:
    results = _scan(common, request)
    console, fmt = _stdout(common)
    has_changes = any(r.plan.changes for r in results)
    if dry_run or not has_changes:
        fmt.changes_renderer(command, dry_run=True)(console, results)
        return _finish(results, command=command, applied=False)
    if sys.stdin.isatty() and not yes:
        err = Console(file=sys.stderr, highlight=False)
        OutputFormat.table.changes_renderer(command, dry_run=True)(err, results)
        count = sum(len(r.plan.changes) for r in results)
        if not typer.confirm(f"Apply {count} change(s)?", default=False, err=True):
            typer.echo("sgupdater: aborted; nothing changed", err=True)
            return 1
    results = runner.apply_all(results, common.options())
    fmt.changes_renderer(command, dry_run=False)(console, results)
    return _finish(results, command=command, applied=True)


def _mapping(from_cidr: str, to_cidr: str | None, allow_open_world: bool) -> Mapping:
    source = parse_cidr(from_cidr, option="--from-cidr")
    target = parse_cidr(to_cidr, option="--to-cidr") if to_cidr is not None else None
    mapping = Mapping(source, target)
    check_mappings((mapping,), allow_open_world=allow_open_world)
    return mapping


@app.command()
def show(
    from_cidr: FromCidr,
    to_cidr: Annotated[
        str | None,
        typer.Option(
            "--to-cidr", metavar="CIDR", help="Only rules not already allowing this CIDR too."
        ),
    ] = None,
    region: Regions = None,
    profile: Profiles = None,
    direction: DirectionOpt = DirectionChoice.both,
    group_id: GroupIds = None,
    vpc_id: VpcId = None,
    output: Output = None,
    verbose: Verbose = False,
    page_size: PageSize = MAX_PAGE_SIZE,
    concurrency: Concurrency = runner.DEFAULT_CONCURRENCY,
) -> int:
    """List every rule allowing --from-cidr (with --to-cidr: those that still lack it)."""
    common = _common(
        region, profile, direction, group_id, vpc_id, output, verbose, page_size, concurrency
    )
    request = Request("show", (_mapping(from_cidr, to_cidr, True),), directions=common.directions())
    results = _scan(common, request)
    console, fmt = _stdout(common)
    fmt.rules_renderer()(console, results)
    return _finish(results, command="show", applied=False)


@app.command()
def update(
    from_cidr: FromCidr,
    to_cidr: ToCidr,
    region: Regions = None,
    profile: Profiles = None,
    direction: DirectionOpt = DirectionChoice.both,
    group_id: GroupIds = None,
    vpc_id: VpcId = None,
    output: Output = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    verbose: Verbose = False,
    strategy: StrategyOpt = StrategyChoice.modify,
    allow_open_world: OpenWorld = False,
    page_size: PageSize = MAX_PAGE_SIZE,
    concurrency: Concurrency = runner.DEFAULT_CONCURRENCY,
) -> int:
    """Replace --from-cidr by --to-cidr in every matching rule, keeping ports and description."""
    common = _common(
        region, profile, direction, group_id, vpc_id, output, verbose, page_size, concurrency
    )
    mapping = _mapping(from_cidr, to_cidr, allow_open_world)
    chosen: Strategy = strategy.value
    request = Request("update", (mapping,), chosen, common.directions())
    return _change("update", request, common, dry_run, yes)


@app.command()
def add(
    from_cidr: FromCidr,
    to_cidr: ToCidr,
    region: Regions = None,
    profile: Profiles = None,
    direction: DirectionOpt = DirectionChoice.both,
    group_id: GroupIds = None,
    vpc_id: VpcId = None,
    output: Output = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    verbose: Verbose = False,
    allow_open_world: OpenWorld = False,
    page_size: PageSize = MAX_PAGE_SIZE,
    concurrency: Concurrency = runner.DEFAULT_CONCURRENCY,
) -> int:
    """Allow --to-cidr beside --from-cidr wherever --from-cidr is allowed."""
    common = _common(
        region, profile, direction, group_id, vpc_id, output, verbose, page_size, concurrency
    )
    mapping = _mapping(from_cidr, to_cidr, allow_open_world)
    request = Request("add", (mapping,), directions=common.directions())
    return _change("add", request, common, dry_run, yes)


@app.command()
def remove(
    cidr: Annotated[
        str, typer.Option("--cidr", metavar="CIDR", help="The CIDR whose rules are revoked.")
    ],
    only_where: Annotated[
        str | None,
        typer.Option(
            "--only-where", metavar="CIDR", help="Only where this CIDR is already allowed alike."
        ),
    ] = None,
    region: Regions = None,
    profile: Profiles = None,
    direction: DirectionOpt = DirectionChoice.both,
    group_id: GroupIds = None,
    vpc_id: VpcId = None,
    output: Output = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    verbose: Verbose = False,
    page_size: PageSize = MAX_PAGE_SIZE,
    concurrency: Concurrency = runner.DEFAULT_CONCURRENCY,
) -> int:
    """Revoke the rules allowing --cidr (with --only-where: the safe second half of a move)."""
    common = _common(
        region, profile, direction, group_id, vpc_id, output, verbose, page_size, concurrency
    )
    source = parse_cidr(cidr, option="--cidr")
    kept = parse_cidr(only_where, option="--only-where") if only_where is not None else None
    if kept is not None and kept.version != source.version:
        raise InputError(f"--cidr {source} and --only-where {kept} are of different IP families")
    if kept == source:
        raise InputError(f"--cidr and --only-where are the same ({source})")
    request = Request("remove", (Mapping(source, kept),), directions=common.directions())
    return _change("remove", request, common, dry_run, yes)


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
