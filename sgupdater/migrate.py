"""Migrate: point the rules allowing one CIDR at a customer-managed prefix list holding it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sgupdater import prefixlists, scanner
from sgupdater._types import AccountId, Cidr, Direction, Region
from sgupdater.errors import TargetError
from sgupdater.models import Change, Plan, PortKey, PrefixListRef, Rule, Target, TargetResult
from sgupdater.planner import BOTH
from sgupdater.prefixlists import PrefixList

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

DEFAULT_MAX_ENTRIES = 5
# EC2's default quota of inbound (and of outbound) rules per security group.
DEFAULT_RULES_QUOTA = 60

Usage = dict[tuple[str, Direction], int]
# The account and region a plan is for.
Where = tuple[AccountId, Region]
Refs = set[tuple[PortKey, str]]


@dataclass(frozen=True, slots=True)
class MigrateRequest:
    """Replace literal rules allowing `cidr` by references to the prefix list `prefix_list`."""

    cidr: Cidr
    prefix_list: str  # a name, or a pl- id
    create: bool = False
    max_entries: int = DEFAULT_MAX_ENTRIES
    rules_quota: int = DEFAULT_RULES_QUOTA
    directions: frozenset[Direction] = BOTH
    skip_managed: bool = False
    # The list entry's description; None: as most of the migrated rules describe the CIDR.
    description: str | None = None

    def relevant(self, cidr: Cidr) -> bool:
        """Only rules allowing exactly the CIDR move to the list."""
        return cidr == self.cidr


def _list_changes(
    request: MigrateRequest, where: Where, found: PrefixList | None, description: str | None
) -> tuple[PrefixListRef, list[Change], str]:
    """The list the rules will reference, the changes that make it hold the CIDR, and a note."""
    cidr = request.cidr
    if found is None:
        if not request.create:
            raise TargetError(
                f"no customer-managed prefix list {request.prefix_list!r} here "
                "(pass --create to create it)",
                code="PrefixListNotFound",
            )
        if request.prefix_list.startswith("pl-"):
            raise TargetError(
                f"{request.prefix_list} does not exist here; --create needs a name, not an id",
                code="PrefixListNotFound",
            )
        ref = PrefixListRef(request.prefix_list, "", request.max_entries)
        why = f"create prefix list {ref.name} (MaxEntries {ref.max_entries}) holding {cidr}"
        rule = prefixlists.list_rule("", request.prefix_list, where, request.cidr, description)
        return ref, [Change("create", rule, cidr, why, prefix_list=ref)], ""
    family = "IPv4" if cidr.version == 4 else "IPv6"
    if found.family and found.family != family:
        raise TargetError(
            f"prefix list {found.name} holds {found.family}, not {family}",
            code="InvalidParameterValue",
        )
    ref = PrefixListRef(found.name, found.id, found.max_entries)
    others = [str(c) for c, _ in found.entries if c != cidr]
    note = f"; the list also allows {', '.join(others)}" if others else ""
    if found.holds(cidr):
        return ref, [], note
    if found.max_entries and len(found.entries) >= found.max_entries:
        raise TargetError(
            f"prefix list {found.name} is full ({found.max_entries} entries); raise MaxEntries",
            code="PrefixListMaxEntriesExceeded",
        )
    entry = prefixlists.list_rule(
        found.id, found.name, (AccountId(found.owner), where[1]), cidr, description, found.managed
    )
    return ref, [Change("authorize", entry, cidr, f"add {cidr} to {found.name}", ref)], note


def plan(
    rules: Iterable[Rule],
    request: MigrateRequest,
    where: Where,
    found: PrefixList | None,
    usage: Usage,
    refs: Refs,
) -> Plan:
    """The changes that make the list hold the CIDR and the rules reference it. No I/O."""
    ordered = sorted(
        (
            r
            for r in rules
            if r.kind == "rule" and r.cidr == request.cidr and r.direction in request.directions
        ),
        key=lambda r: (r.group_id, r.direction, r.protocol, r.from_port, r.to_port, r.rule_id),
    )
    if not ordered:
        return Plan((), ())
    # The entry is described as most of the rules describe the CIDR (ties: alphabetically).
    said = Counter(r.description for r in ordered if r.description)
    description = request.description or (min(said, key=lambda d: (-said[d], d)) if said else None)
    ref, changes, note = _list_changes(request, where, found, description)
    weight = ref.max_entries or 1
    used = dict(usage)
    blocked: list[tuple[Rule, str]] = []
    unchanged: list[Rule] = []
    for rule in ordered:
        if request.skip_managed and rule.managed:
            unchanged.append(rule)
            continue
        if ref.id and (rule.key, ref.id) in refs:
            why = f"{ref.name} already referenced alike{note}"
            changes.append(Change("revoke", rule, None, why, prefix_list=ref))
            continue
        space = (rule.group_id, rule.direction)
        after = used.get(space, 0) - 1 + weight
        if after > request.rules_quota:
            blocked.append(
                (
                    rule,
                    f"would not fit: {after} {rule.direction} rule units (a reference counts "
                    f"as MaxEntries {weight}) > quota {request.rules_quota}",
                )
            )
            continue
        used[space] = after
        changes.append(Change("modify", rule, None, f"reference {ref.name}{note}", ref))
    if not any(c.rule.kind == "rule" for c in changes):
        # Nothing would reference the list: do not create or widen it for nobody.
        changes = []
    return Plan(tuple(changes), tuple(ordered), tuple(unchanged), tuple(blocked))


def _find(
    client: EC2Client, lists: Sequence[Any], scope: scanner.Scope, wanted: str
) -> PrefixList | None:
    field = "PrefixListId" if wanted.startswith("pl-") else "PrefixListName"
    named = [raw for raw in lists if raw.get(field) == wanted]
    if any(raw.get("OwnerId") == prefixlists.AWS_OWNER for raw in named):
        raise TargetError(
            f"{wanted} is AWS-managed; migrate to a list of your own", code="AwsManagedPrefixList"
        )
    own = [raw for raw in named if prefixlists.changeable(raw)]
    return prefixlists.info(client, own[0], scope) if own else None


def usage(
    client: EC2Client, group_ids: Sequence[str], page_size: int, lists: Sequence[Any]
) -> tuple[Usage, Refs]:
    """Rule units used per (group, direction), and the prefix lists each rule references."""
    weights = {raw["PrefixListId"]: int(raw.get("MaxEntries") or 1) for raw in lists}
    used: Usage = {}
    refs: Refs = set()
    for raw in scanner.rules_of_groups(client, group_ids, page_size):
        key = scanner.rule_key(raw)
        space = (raw["GroupId"], key[1])
        listed = raw.get("PrefixListId")
        used[space] = used.get(space, 0) + (weights.get(listed, 1) if listed else 1)
        if listed:
            refs.add((key, listed))
    return used, refs


def scan_and_plan(
    client: EC2Client, target: Target, scope: scanner.Scope, request: MigrateRequest, overlap: bool
) -> TargetResult:
    """Scan one target for the rules allowing the CIDR and plan their migration."""
    found = scanner.scan(client, target, scope, request.relevant, overlap=overlap)
    account = found.account or target.account
    where = (AccountId(account or ""), target.region)
    groups = sorted({r.group_id for r in found.rules})
    existing: PrefixList | None = None
    used: Usage = {}
    refs: Refs = set()
    if groups:
        # One listing serves both: finding the list, and weighing the lists rules reference.
        lists = prefixlists.described(client)
        existing = _find(client, lists, scope, request.prefix_list)
        used, refs = usage(client, groups, scope.page_size, lists)
    return TargetResult(
        target=target,
        account=account,
        groups_scanned=found.groups_scanned,
        plan=plan(found.rules, request, where, existing, used, refs),
    )
