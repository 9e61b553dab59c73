"""Which targets an inventory sends the run to, and show's report from the inventory alone."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sgupdater import kinds
from sgupdater._types import AccountId, Region
from sgupdater.aws import sessions as aws
from sgupdater.engine import inventory
from sgupdater.engine.runner import GLOBAL_HOME, Planning, Run
from sgupdater.engine.targets import ALL_REGIONS
from sgupdater.errors import InputError, TargetError
from sgupdater.kinds.interface import Kind
from sgupdater.models import LEFT_OUT, Credentials, Scan, Target, TargetResult
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")


@dataclass(frozen=True, slots=True)
class Chosen:
    """The targets to read, and those the inventory left out (as skipped results)."""

    visit: tuple[Target, ...]
    left_out: tuple[TargetResult, ...]
    inventory: inventory.Inventory
    # Each target's account, as the targets named it or STS told (None: not known).
    accounts: dict[Credentials, AccountId | None]


def _caller_account(run: Run, target: Target) -> AccountId | None:
    region: str | None = target.region
    if region == ALL_REGIONS:
        # `-r all` names no region to ask in: the profile's own, else the run's home.
        region = aws.region_of(aws.session(target.credentials.profile)) or run.options.home_region
    try:
        sts = run.sessions.client(target.credentials, region or GLOBAL_HOME, "sts")
        return AccountId(sts.get_caller_identity()["Account"])
    except aws.FAILURES as exc:
        # Its scan will fail the same way and say so: the target is read, not left out.
        log.info("%s: account not known (%s): read live", target.label, aws.target_error(exc))
        return None


def accounts(targets: Sequence[Target], run: Run) -> dict[Credentials, AccountId | None]:
    """Each credentials' account: named by the target (roles), else asked of STS (profiles)."""
    known: dict[Credentials, AccountId | None] = {}
    unknown: dict[Credentials, Target] = {}
    for target in targets:
        if target.account is not None:
            known[target.credentials] = target.account
        else:
            unknown.setdefault(target.credentials, target)
    if unknown:
        with ThreadPoolExecutor(max(1, min(run.options.concurrency, len(unknown)))) as pool:
            found = pool.map(lambda t: _caller_account(run, t), unknown.values())
            known.update(zip(unknown, found, strict=True))
    return known


def choose(targets: Sequence[Target], found: inventory.Inventory, run: Run) -> Chosen:
    """The targets holding the range per the inventory; `--region all` takes its regions."""
    known = accounts(targets, run)
    regions: dict[AccountId, list[Region]] = {}
    for holder, region in sorted(found.holders):
        regions.setdefault(holder, []).append(region)
    visit: list[Target] = []
    left: list[TargetResult] = []
    covered: set[tuple[AccountId, Region]] = set()
    for target in targets:
        account = known.get(target.credentials)
        if account is None:
            visit.append(target)
            continue
        held = regions.get(account, [])
        if target.region == ALL_REGIONS:
            # The inventory names the regions: none is listed, none read in vain.
            visit.extend(Target(r, target.credentials, account, target.alias) for r in held)
            covered.update((account, r) for r in held)
            if not held:
                left.append(TargetResult(target=target, account=account, skipped=LEFT_OUT))
        elif target.region in held:
            visit.append(target)
            covered.add((account, target.region))
        else:
            left.append(TargetResult(target=target, account=account, skipped=LEFT_OUT))
    outside = len(set(found.holders) - covered)
    if outside:
        log.info("inventory: %d account-region(s) hold the range outside this run's targets",
                 outside)  # fmt: skip
    return Chosen(tuple(visit), tuple(left), found, known)


def _no_reads(service: str) -> Any:
    raise TargetError(f"show --inventory reads no {service}: it reports the inventory alone")


def shown(chosen: Chosen, request: Planning, scope: Scope) -> list[TargetResult]:
    """show's results from the inventory alone: nothing is read live."""
    results: list[TargetResult] = []
    for target in chosen.visit:
        account = target.account or chosen.accounts.get(target.credentials)
        if account is None:
            error = TargetError("its account is not known, so the inventory cannot answer for it")
            results.append(TargetResult(target=target, error=error))
            continue
        entries = tuple(chosen.inventory.holders.get((account, target.region), ()))
        count = chosen.inventory.containers.get((account, target.region), 0)
        plan = request.plan_target(Scan(target, account, count, entries), _no_reads, scope)
        results.append(TargetResult(target, account, groups_scanned=count, plan=plan))
    return results


def searched(kinds_on: Sequence[Kind]) -> tuple[Kind, ...]:
    """The kinds an inventory searches; a kind AWS Config does not answer for is bad input."""
    live = [k for k in kinds_on if k.recorded is None]
    if live:
        named = ", ".join(k.switch.flag if k.switch else k.name for k in live)
        answered = ", ".join(f"{k.traits.container}s" for k in kinds.KINDS if k.recorded)
        raise InputError(
            f"--inventory finds {answered}; {named} is read live only: run it without --inventory"
        )
    return tuple(kinds_on)


@dataclass(frozen=True, slots=True)
class Inquiry:
    """What to ask which aggregator, where, with which credentials: checked before any call."""

    source: inventory.Source
    asked: inventory.Asked
    region: str
    profile: str | None


def prepare(source: inventory.Source, request: Planning, run: Run, profile: str | None) -> Inquiry:
    """The inquiry for this request: a kind Config does not answer for, or no region to ask
    in, is bad input, refused before the targets are listed."""
    scope = request.narrow(run.options.scope)
    on = searched(list(kinds.enabled(scope)))
    asked = inventory.Asked(on, request.ranges(), request.relevant, scope, request.directions)
    region = source.region or run.options.home_region or aws.region_of(aws.session(profile))
    if region is None:
        raise InputError(f"--inventory {source}: name the aggregator's region (config:NAME@REGION)")
    return Inquiry(source, asked, region, profile)


def through(inquiry: Inquiry, targets: Sequence[Target], run: Run) -> Chosen:
    """Ask the aggregator (with the base profile, in its region or the run's home), then
    choose the targets; an unreadable inventory is an error."""
    client = run.sessions.client(Credentials(inquiry.profile), inquiry.region, "config")
    return choose(targets, inventory.read(client, inquiry.source, inquiry.asked), run)
