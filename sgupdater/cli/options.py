"""The options every command shares, declared once, merged with the configuration file."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from sgupdater import kinds
from sgupdater._types import BOTH, Direction
from sgupdater.aws import sessions as aws
from sgupdater.cidrs import Mapping
from sgupdater.cli import config
from sgupdater.engine import inventory, runner
from sgupdater.engine.inventory import Source
from sgupdater.engine.targets import ALL_REGIONS, TargetSpec
from sgupdater.errors import InputError
from sgupdater.logs import set_logging
from sgupdater.output.report import OutputFormat
from sgupdater.scope import DEFAULT_MANAGED_TAGS, MAX_PAGE_SIZE, Scope


class DirectionChoice(str, Enum):
    """Which rules to look at."""

    ingress = "ingress"
    egress = "egress"
    both = "both"


def _shared(name: str, default: Any, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def _option(name: str, default: Any, kind: Any, *flags: str, **info: Any) -> inspect.Parameter:
    return _shared(name, default, Annotated[kind, typer.Option(*flags, **info)])


Many = list[str] | None

# The options every command takes, declared once as typed parameters: the search commands get
# them through _COMMON, apply and rollback name them in their signatures.
OutputOpt = Annotated[
    OutputFormat | None,
    typer.Option("--output", "-o", metavar="FORMAT",
                 help="table, tsv, json or markdown. Default: table on a terminal, else tsv."),
]  # fmt: skip
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or per-target table.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log each step to stderr.")]
Concurrency = Annotated[
    int | None,
    typer.Option("--concurrency", metavar="N", min=1, max=64,
                 help=f"Targets processed at once in each process (default "
                 f"{runner.DEFAULT_CONCURRENCY}, {runner.WORKER_CONCURRENCY} in each worker "
                 "process)."),
]  # fmt: skip

Timeout = Annotated[
    float | None,
    typer.Option("--timeout", metavar="SECONDS", min=config.MIN_TIMEOUT, max=config.MAX_TIMEOUT,
                 help=f"Seconds each attempt of a call waits for an answer (default "
                 f"{aws.DEFAULT_READ_TIMEOUT:g}; {aws.DEFAULT_CONNECT_TIMEOUT:g} to connect)."),
]  # fmt: skip


_COMMON = [
    _option("config_file", None, Path | None, "--config", metavar="FILE",
            help="YAML file with targets, regions, filters and mappings; flags override it."),
    _option("profile", None, Many, "--profile", "-p", metavar="PROFILE",
            help="Profile to use (repeatable). With role options: the base profile."),
    _option("role_arn", None, Many, "--role-arn", metavar="ARN",
            help="Assume this role from the base credentials (repeatable)."),
    _option("accounts", None, Many, "--accounts", metavar="ID,ID",
            help="Account ids (comma-separated, repeatable); needs --role-name."),
    _option("role_name", None, str | None, "--role-name", metavar="NAME",
            help="Role to assume in each of --accounts."),
    _option("org_role", None, str | None, "--org-role", metavar="NAME",
            help="Assume NAME in every ACTIVE account of the AWS Organization."),
    _option("exclude_account", None, Many, "--exclude-account", metavar="ID",
            help="Leave this account out (repeatable)."),
    _option("external_id", None, str | None, "--external-id", metavar="ID",
            help="ExternalId for assumed roles."),
    _option("session_name", None, str | None, "--session-name", metavar="NAME",
            help="RoleSessionName for assumed roles (default sgupdater)."),
    _option("region", None, Many, "--region", "-r", metavar="REGION",
            help="Region (repeatable), or 'all' enabled regions. Default: the profile's."),
    _option("direction", None, DirectionChoice | None, "--direction", metavar="DIR",
            help="ingress, egress or both (default both)."),
    _option("group_id", None, Many, "--group-id", metavar="SG_ID",
            help="Only this security group (repeatable)."),
    _option("vpc_id", None, Many, "--vpc-id", metavar="VPC_ID",
            help="Only groups of this VPC (repeatable)."),
    _option("tag", None, Many, "--tag", metavar="KEY[=VALUE]",
            help="Only groups with this tag (repeatable; all must match)."),
    _option("exclude_tag", None, Many, "--exclude-tag", metavar="KEY[=VALUE]",
            help="Leave out groups with this tag (repeatable)."),
    _option("inventory", None, str | None, "--inventory", metavar="config:AGGREGATOR",
            help="Ask this AWS Config aggregator (config:NAME[@REGION]) which account-regions "
            "hold the range, and read only those live (show: report the inventory)."),
    _shared("output", None, OutputOpt),
    _shared("concurrency", None, Concurrency),
    _shared("timeout", None, Timeout),
    _option("processes", None, int | None, "--processes", metavar="N", min=1, max=64,
            help="Worker processes that scan (default: one per core for 800+ targets)."),
    _option("page_size", MAX_PAGE_SIZE, int, "--page-size", metavar="N", min=5,
            max=MAX_PAGE_SIZE, help="Items per describe call."),
    _option("skip_managed", False, bool, "--skip-managed",
            help="Leave out groups, lists and ACLs managed by CloudFormation or a managed-by tag."),
    _option("managed_tag", None, Many, "--managed-tag", metavar="KEY[=VALUE]",
            help="Tag that marks IaC-managed resources (repeatable; default managed-by, ManagedBy,"
            " managed_by; CloudFormation's aws:cloudformation:* always)."),
    _shared("quiet", False, Quiet),
    _option("detailed_exitcode", False, bool, "--detailed-exitcode",
            help="With show or --dry-run: exit 3 when something is found or pending, 0 when not."),
    _shared("verbose", False, Verbose),
]  # fmt: skip


# Every kind's switch key, and every allowance a kind offers, once.
SWITCHES = tuple(key for _, key in kinds.switches())
ALLOWANCES = tuple(a.key for a in kinds.allowances())


class MatchChoice(str, Enum):
    """How a rule's CIDR must relate to the from-cidr."""

    exact = "exact"
    within = "within"


# What to search besides security-group rules, and how CIDRs match: for show/update/add/remove.
def _search(command: str) -> list[inspect.Parameter]:
    """The options of a command that searches: how to match, and what it may search."""
    found = [
        _option("match", None, MatchChoice | None, "--match", metavar="MODE",
                help="exact (default): rules allowing the from-cidr; within: any CIDR inside it."),
    ]  # fmt: skip
    if command in ("update", "add"):
        found.append(
            _option("renumber", False, bool, "--renumber",
                    help="With --match within: move each CIDR to the same offset inside the "
                    "to-cidr.")
        )  # fmt: skip
    # What a run may allow a kind beyond its switch, and each kind's own switch, as the kinds
    # declare them: only on the commands they are for.
    found += [
        _option(a.key, False, bool, a.flag, help=a.help)
        for a in kinds.allowances()
        if command in a.commands
    ]
    found += [
        _option(key, False, bool, kind.switch.flag, help=kind.switch.help)
        for kind, key in kinds.switches()
        if kind.switch is not None and command in kind.switch.commands
    ]
    return found


@dataclass(frozen=True, slots=True)
class Common:
    """The shared options after merging flags over the configuration file, read once.

    The run's own settings (scope, concurrency, ...) live in `options` alone; the rest is how
    the command talks (output, quiet) and what it asks (targets, mappings, direction, match).
    """

    targets: TargetSpec
    direction: DirectionChoice
    output: OutputFormat | None
    quiet: bool
    # The configuration file's mappings (None: no file): the one thing commands read of it.
    mappings: tuple[Mapping, ...] | None
    options: runner.Options
    match: MatchChoice = MatchChoice.exact
    renumber: bool = False
    skip_managed: bool = False
    # show and dry runs: exit 3 when something is pending (1 and 2 keep their meaning).
    detailed_exitcode: bool = False
    # --inventory: where to learn which account-regions hold the range before reading them.
    inventory: Source | None = None

    def directions(self) -> frozenset[Direction]:
        """The directions the user asked for."""
        if self.direction is DirectionChoice.ingress:
            return frozenset(("ingress",))
        if self.direction is DirectionChoice.egress:
            return frozenset(("egress",))
        return BOTH


def _spec(given: dict[str, Any], settings: config.FileSettings | None) -> TargetSpec:
    """The target options: flags first, else the configuration file's `targets`."""
    file_targets = settings.targets if settings else {}

    def pick(flag: str, key: str, default: Any) -> Any:
        value = given[flag]
        return value if value not in (None, []) else file_targets.get(key, default)

    accounts = [a.strip() for chunk in pick("accounts", "accounts", ()) for a in chunk.split(",")]
    return TargetSpec(
        profiles=tuple(pick("profile", "profiles", ())),
        role_arns=tuple(pick("role_arn", "role_arns", ())),
        accounts=tuple(a for a in accounts if a),
        role_name=pick("role_name", "role_name", None),
        org_role=pick("org_role", "org_role", None),
        exclude_accounts=frozenset(pick("exclude_account", "exclude_accounts", ())),
        external_id=pick("external_id", "external_id", None),
        session_name=pick("session_name", "session_name", "sgupdater"),
        regions=tuple(given["region"] or (settings.regions if settings else ())),
    )


def _scope(
    given: dict[str, Any], settings: config.FileSettings | None, switches: frozenset[str]
) -> Scope:
    """The filters and kinds to search: flags first, else the configuration file's."""
    tags = [config.parse_tag("--tag", t) for t in given["tag"] or ()]
    untags = [config.parse_tag("--exclude-tag", t) for t in given["exclude_tag"] or ()]
    managed = tuple(config.parse_tag("--managed-tag", t) for t in given["managed_tag"] or ())
    if not managed:
        from_file = settings.managed_tags if settings else None
        managed = DEFAULT_MANAGED_TAGS if from_file is None else from_file
    return Scope(
        group_ids=frozenset(given["group_id"] or (settings.group_ids if settings else ())),
        vpc_ids=frozenset(given["vpc_id"] or (settings.vpc_ids if settings else ())),
        include_tags=frozenset(tags) or (settings.include_tags if settings else frozenset()),
        exclude_tags=frozenset(untags) or (settings.exclude_tags if settings else frozenset()),
        page_size=given["page_size"],
        switches=frozenset(key for key in (*SWITCHES, *ALLOWANCES) if key in switches),
        managed_tags=managed,
    )


def _home(regions: tuple[str, ...]) -> str | None:
    """The first region asked for, where assumed roles are asked for without a profile's."""
    named = [r for r in regions if r != ALL_REGIONS]
    return named[0] if named else None


def _file_timeout(settings: config.FileSettings | None) -> float:
    found = settings.timeout if settings is not None else None
    return found or aws.DEFAULT_READ_TIMEOUT


def _merge(given: dict[str, Any]) -> Common:
    set_logging(given["verbose"])
    path = given["config_file"]
    settings = config.load(path) if path is not None else None
    # A flag turns a switch on; the file's `scope` turns it on for every run using it.
    from_file = settings.switches if settings else frozenset()
    switches = frozenset(name for name, value in given.items() if value is True) | from_file
    file_match = settings.match if settings and settings.match else "exact"
    match = given.get("match") or MatchChoice(file_match)
    if "renumber" in switches and match is not MatchChoice.within:
        raise InputError("--renumber goes with --match within")
    scope = _scope(given, settings, switches)
    spec = _spec(given, settings)
    direction = given["direction"] or DirectionChoice(
        settings.direction if settings and settings.direction else "both"
    )
    return Common(
        spec,
        direction,
        given["output"],
        given["quiet"],
        settings.mappings if settings is not None else None,
        runner.Options(
            scope,
            given["concurrency"] or runner.DEFAULT_CONCURRENCY,
            _home(spec.regions),
            processes=given["processes"],
            per_worker=given["concurrency"],
            timeout=given["timeout"] or _file_timeout(settings),
        ),
        match,
        "renumber" in switches,
        "skip_managed" in switches,
        given["detailed_exitcode"],
        _inventory(given, settings),
    )


def _inventory(given: dict[str, Any], settings: config.FileSettings | None) -> Source | None:
    """--inventory, else the configuration file's `inventory`, checked alike."""
    if given["inventory"] is not None:
        return inventory.parse(given["inventory"])
    if settings is not None and settings.inventory is not None:
        return inventory.parse(settings.inventory, where="inventory:")
    return None


def with_common(search: str | None = None) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Give a command every shared option; it receives them merged as `common: Common`.

    search: the searching command's name, for --match, --renumber and the kinds' switches and
    allowances it takes.
    """
    shared = _COMMON + (_search(search) if search else [])
    return functools.partial(_decorate, shared=shared)


def _decorate(command: Callable[..., int], shared: list[inspect.Parameter]) -> Callable[..., int]:
    return _injected(command, shared, "common", _merge)


def with_allowances(command: Callable[..., int]) -> Callable[..., int]:
    """Give a file command the allowances kinds offer on apply; it receives them as `allow`."""
    shared = [
        _option(a.key, False, bool, a.flag, help=a.help) for a in kinds.allowances(on_apply=True)
    ]
    return _injected(
        command, shared, "allow", lambda given: frozenset(k for k in given if given[k])
    )


def _injected(
    command: Callable[..., int],
    shared: list[inspect.Parameter],
    into: str,
    make: Callable[[dict[str, Any]], Any],
) -> Callable[..., int]:
    """The command with `shared` options added to its signature; it receives `make(their values)`
    as its parameter `into`."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != into]
    names = [p.name for p in shared]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> int:
        given = {name: kwargs.pop(name) for name in names}
        return command(**{into: make(given)}, **kwargs)

    parameters = own + shared
    # typer reads the signature and the annotations; both must name the shared options too.
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    del wrapper.__wrapped__
    return wrapper


# Options more than one command declares.
def cidr_option(flag: str, text: str) -> Any:
    """A CIDR-valued option."""
    return typer.Option(flag, metavar="CIDR", help=text)


FromCidr = Annotated[str | None, cidr_option("--from-cidr", "The CIDR to look for.")]
ToCidr = Annotated[str | None, cidr_option("--to-cidr", "The CIDR to allow instead.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")]
PlanOut = Annotated[
    Path | None,
    typer.Option("--plan-out", metavar="PATH", help="With --dry-run: write the plan for review."),
]
JournalPath = Annotated[
    Path | None,
    typer.Option(
        "--journal", metavar="PATH", help="Where to write the journal (default: state directory)."
    ),
]
OpenWorld = Annotated[
    bool,
    typer.Option("--allow-open-world", help="Allow 0.0.0.0/0 or ::/0 as a CIDR to allow."),
]
