"""Which (account, region) pairs a run visits: profiles, assumed roles, Organizations."""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from sgupdater._types import AccountId, Region
from sgupdater.aws import sessions as aws
from sgupdater.errors import ConfigError, InputError, TargetError
from sgupdater.models import Credentials, Target, TargetResult

log = logging.getLogger("sgupdater")

ALL_REGIONS = "all"
# re.ASCII: IAM's patterns are ASCII ([\w+=,.@-]), and Python's \w and \d take any Unicode
# letter or digit: "ops-é" would pass here and fail every AssumeRole. fullmatch: "$" alone
# accepts a trailing newline.
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}", re.ASCII)
_ACCOUNT = re.compile(r"\d{12}", re.ASCII)
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """The target options as the user gave them."""

    profiles: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    role_name: str | None = None
    org_role: str | None = None
    exclude_accounts: frozenset[str] = frozenset()
    external_id: str | None = None
    session_name: str = "sgupdater"
    regions: tuple[str, ...] = ()

    @property
    def assumes_roles(self) -> bool:
        """True when targets are reached by assuming roles from base credentials."""
        return bool(self.role_arns or self.accounts or self.org_role)


@dataclass(frozen=True, slots=True)
class _Source:
    credentials: Credentials
    account: AccountId | None = None
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """The targets to visit, the accounts that failed before, and those left out."""

    targets: tuple[Target, ...]
    failures: tuple[TargetResult, ...] = field(default=())
    # Organization accounts not ACTIVE: counted and named, never visited.
    skipped: tuple[TargetResult, ...] = field(default=())


def validate(spec: TargetSpec) -> None:
    """Refuse target options that cannot work, before any call is made."""
    for arn in spec.role_arns:
        if not _ROLE_ARN.fullmatch(arn):
            raise InputError(f"--role-arn {arn!r} is not an IAM role ARN")
    for account in (*spec.accounts, *spec.exclude_accounts):
        if not _ACCOUNT.fullmatch(account):
            raise InputError(f"{account!r} is not a 12-digit AWS account id")
    if bool(spec.accounts) != bool(spec.role_name):
        raise InputError("--accounts and --role-name go together")
    if not _SESSION_NAME.fullmatch(spec.session_name):
        raise InputError(
            f"--session-name {spec.session_name!r}: 2 to 64 of letters, digits and +=,.@-_"
        )
    if spec.assumes_roles and len(spec.profiles) > 1:
        raise InputError(
            "with --role-arn, --accounts or --org-role, --profile names the one base profile"
        )
    if ALL_REGIONS in spec.regions and len(spec.regions) > 1:
        raise InputError("--region all cannot be combined with other regions")
    for profile in spec.profiles:
        aws.session(profile)
    if spec.regions and ALL_REGIONS not in spec.regions:
        known = aws.known_regions(aws.session(spec.profiles[0] if spec.profiles else None))
        for region in spec.regions:
            if region not in known:
                raise ConfigError(f"unknown region {region!r}")


def _role(spec: TargetSpec, base: str | None, arn: str, alias: str | None = None) -> _Source:
    creds = Credentials(base, arn, spec.external_id, spec.session_name)
    match = _ROLE_ARN.fullmatch(arn)
    return _Source(creds, AccountId(match.group(1)) if match else None, alias)


def _organization(
    spec: TargetSpec, base: str | None, partition: str
) -> tuple[list[_Source], list[TargetResult]]:
    """The Organization's ACTIVE accounts, and the others (skipped or failed) as results."""
    sess = aws.session(base)
    try:
        me = aws.sts_client(sess, aws.region_of(sess)).get_caller_identity()["Account"]
        pages = aws.organizations_client(sess).get_paginator("list_accounts").paginate()
        accounts = [a for page in pages for a in page["Accounts"]]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        error = aws.target_error(exc)
        raise TargetError(f"cannot list the organization's accounts: {error}", error.code) from exc
    found: list[_Source] = []
    left: list[TargetResult] = []
    for account in accounts:
        account_id, name = account["Id"], account.get("Name")
        # Organizations' Account.Status is retired (2026-09-09) for State; older answers
        # have only Status.
        state = account.get("State") or account.get("Status")
        if state != "ACTIVE":
            left.append(_left_out(spec, base, partition, account_id, name, state))
        elif account_id == me:
            # The base credentials already are in this account; a member role may not exist here.
            found.append(_Source(Credentials(base), AccountId(account_id), name))
        else:
            arn = f"arn:{partition}:iam::{account_id}:role/{spec.org_role}"
            found.append(_role(spec, base, arn, name))
    return found, left


def _left_out(
    spec: TargetSpec, base: str | None, partition: str, account: str, name: str | None, state: Any
) -> TargetResult:
    """An account not visited: skipped for its state, or failed when it has none."""
    arn = f"arn:{partition}:iam::{account}:role/{spec.org_role}"
    source = _role(spec, base, arn, name)
    target = Target(Region(ALL_REGIONS), source.credentials, source.account, name)
    if not state:
        error = TargetError(
            f"account {account} has neither State nor Status in ListAccounts; not visited",
            code="AccountStateUnknown",
        )
        return TargetResult(target=target, account=source.account, error=error)
    log.info("account %s (%s) is %s: skipped", account, name or "no name", state)
    return TargetResult(target=target, account=source.account, skipped=str(state))


def _sources(spec: TargetSpec) -> tuple[list[_Source], list[TargetResult]]:
    if not spec.assumes_roles:
        return [_Source(Credentials(p)) for p in spec.profiles or (None,)], []
    base = spec.profiles[0] if spec.profiles else None
    sess = aws.session(base)
    partition = sess.get_partition_for_region(aws.region_of(sess) or "us-east-1")
    sources = [_role(spec, base, arn) for arn in spec.role_arns]
    for account in spec.accounts:
        sources.append(_role(spec, base, f"arn:{partition}:iam::{account}:role/{spec.role_name}"))
    left: list[TargetResult] = []
    if spec.org_role:
        members, left = _organization(spec, base, partition)
        sources.extend(members)
    unique = {s.credentials: s for s in sources}
    wanted = [s for s in unique.values() if s.account not in spec.exclude_accounts]
    return wanted, [r for r in left if r.account not in spec.exclude_accounts]


def _no_region(profile: str | None) -> str:
    who = f"profile {profile!r}" if profile else "the default credentials"
    return f"no region for {who}: pass --region or set AWS_REGION"


def _enabled_regions(sessions: aws.Sessions, source: _Source, home: str) -> list[str]:
    try:
        answer = sessions.ec2(source.credentials, home).describe_regions(AllRegions=False)
    finally:
        # An Organization's every account is asked here: keeping each one's session until
        # its targets are scanned (maybe in another process) held ~250 KiB per account.
        sessions.forget(source.credentials)
    return sorted(
        r["RegionName"] for r in answer["Regions"] if r.get("OptInStatus") != "not-opted-in"
    )


def _expand(
    sessions: aws.Sessions, source: _Source, regions: Sequence[str], home: str | None
) -> list[Target] | TargetResult:
    wanted = list(regions)
    if not wanted:
        # This profile names no region: its targets fail, the other profiles' run.
        placeholder = Target(Region("-"), source.credentials, source.account, source.alias)
        error = TargetError(_no_region(source.credentials.profile), code="NoRegion")
        return TargetResult(target=placeholder, account=source.account, error=error)
    if wanted == [ALL_REGIONS]:
        placeholder = Target(Region(ALL_REGIONS), source.credentials, source.account, source.alias)
        try:
            wanted = _enabled_regions(sessions, source, home or "us-east-1")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            error = aws.target_error(exc)
            return TargetResult(target=placeholder, account=source.account, error=error)
    return [Target(Region(r), source.credentials, source.account, source.alias) for r in wanted]


def expand(
    sessions: aws.Sessions, placeholder: Target, home: str | None
) -> list[Target] | TargetResult:
    """A deferred `--region all` target: one target per region its account has enabled.

    home: its base profile's region (profile_regions), where the regions are listed.
    """
    source = _Source(placeholder.credentials, placeholder.account, placeholder.alias)
    return _expand(sessions, source, [ALL_REGIONS], home)


def profile_regions(profiles: Iterable[str | None]) -> dict[str | None, str | None]:
    """Each profile's own region (None where it names none), read once per profile."""
    return {p: aws.region_of(aws.session(p)) for p in set(profiles)}


def resolve(
    spec: TargetSpec,
    sessions: aws.Sessions,
    *,
    concurrency: int = 16,
    defer: Callable[[int], bool] | None = None,
) -> Resolved:
    """Every target the spec names; `--region all` is listed per account, concurrently.

    defer: given the number of accounts, True to leave `--region all` unexpanded (see expand).
    """
    spec = dataclasses.replace(spec, profiles=aws.matching_profiles(spec.profiles))
    validate(spec)
    sources, left = _sources(spec)
    failures_left = tuple(r for r in left if r.error is not None)
    skipped_left = tuple(r for r in left if r.error is None)
    # Each profile's region, read once: an Organization's accounts all share the base profile.
    homes = profile_regions(s.credentials.profile for s in sources)
    # Without --region each profile brings its own; assumed roles take their base profile's.
    per_source = [
        list(spec.regions) or [r for r in (homes[s.credentials.profile],) if r] for s in sources
    ]
    if not any(per_source):
        # No region anywhere: bad input, nothing to visit at all.
        raise ConfigError(_no_region(sources[0].credentials.profile if sources else None))
    if spec.regions == (ALL_REGIONS,) and defer is not None and defer(len(sources)):
        # Worker processes list each account's regions: the parent assumes no role at all.
        held = [Target(Region(ALL_REGIONS), s.credentials, s.account, s.alias) for s in sources]
        return Resolved(tuple(held), failures_left, skipped_left)
    home_of = [homes[s.credentials.profile] for s in sources]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        expand = functools.partial(_expand, sessions)
        expanded = list(pool.map(expand, sources, per_source, home_of))
    targets: list[Target] = []
    failures: list[TargetResult] = []
    for item in expanded:
        if isinstance(item, TargetResult):
            failures.append(item)
        else:
            targets.extend(item)
    return Resolved(tuple(dict.fromkeys(targets)), (*failures, *failures_left), skipped_left)
