"""Migrate: point the rules allowing one CIDR at a customer-managed prefix list holding it.

An operation the prefix-list kind offers (through the registry, kinds.MigrateRequest): it
plans security-group rules and a list together, so it lives with the list it fills.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sgupdater._types import BOTH, AccountId, Cidr, Direction, Region
from sgupdater.errors import TargetError
from sgupdater.kinds.prefix_lists import read as pl_read
from sgupdater.kinds.prefix_lists.read import PrefixList
from sgupdater.kinds.security_groups import read as sg_read
from sgupdater.models import Change, ContainerRef, Entry, Plan, PortKey, Scan, repoint
from sgupdater.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

DEFAULT_MAX_ENTRIES = 5
# EC2's default quota of rules per security group, direction and IP family (VPC quotas:
# inbound and outbound rules, each counted apart for IPv4 and IPv6).
DEFAULT_RULES_QUOTA = 60

# Entry units used per (group, direction, IP family); a prefix-list reference counts as the
# list's MaxEntries.
Space = tuple[str, Direction | None, str]
Usage = dict[Space, int]
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

    def moves(self, rule: Entry) -> bool:
        """True for a security-group rule this migration points at the list."""
        return (
            rule.kind == sg_read.NAME
            and rule.cidr == self.cidr
            and rule.direction in self.directions
        )

    def narrow(self, scope: Scope) -> Scope:
        """Only security-group rules move: no other kind is searched."""
        return dataclasses.replace(scope, switches=frozenset())

    def ranges(self) -> tuple[Cidr, ...]:
        """The one CIDR whose rules move."""
        return (self.cidr,)

    def plan_target(self, found: Scan, clients: Callable[[str], Any], scope: Scope) -> Plan:
        """Read the list and the groups' rule usage, then plan (no I/O past the reads)."""
        account = found.account or found.target.account
        where = (AccountId(account or ""), found.target.region)
        groups = sorted({r.container_id for r in found.rules})
        if not groups:
            return Plan((), ())
        client = clients(sg_read.SERVICE)
        # One listing serves both: finding the list, and weighing the lists rules reference.
        lists = pl_read.described(client)
        existing = _find(client, lists, scope, self.prefix_list)
        used, refs = usage(client, groups, scope.page_size, lists)
        return plan(found.rules, self, where, existing, used, refs)


def family(cidr: Cidr) -> str:
    """A CIDR's IP family as EC2 names it."""
    return "IPv4" if cidr.version == 4 else "IPv6"


def _list_changes(
    request: MigrateRequest, where: Where, found: PrefixList | None, description: str | None
) -> tuple[ContainerRef, list[Change], str]:
    """The list the rules will reference, the changes that make it hold the CIDR, and a note.

    A TargetError when the list cannot serve; a LookupError with the reason when it exists but
    this account cannot add the CIDR to it.
    """
    cidr = request.cidr
    if found is None:
        if not request.create:
            raise TargetError(
                f"no customer-managed prefix list {request.prefix_list!r} here "
                "(pass --create to create it)",
                code="PrefixListNotFound",
            )
        if pl_read.is_list_id(request.prefix_list):
            raise TargetError(
                f"{request.prefix_list} does not exist here; --create needs a name, not an id",
                code="PrefixListNotFound",
            )
        ref = ContainerRef(request.prefix_list, "", request.max_entries)
        why = f"create prefix list {ref.name} (MaxEntries {ref.max_entries}) holding {cidr}"
        rule = pl_read.list_rule("", request.prefix_list, where, request.cidr, description)
        return ref, [Change("create", rule, cidr, why, reference=ref)], ""
    if found.family and found.family != family(cidr):
        raise TargetError(
            f"prefix list {found.name} holds {found.family}, not {family(cidr)}",
            code="InvalidParameterValue",
        )
    ref = ContainerRef(found.name, found.id, found.max_entries)
    others = [str(c) for c, _ in found.entries if c != cidr]
    note = f"; the list also allows {', '.join(others)}" if others else ""
    if found.holds(cidr):
        return ref, [], note
    if found.locked(where[0]):
        raise LookupError(found.locked(where[0]))
    if found.max_entries and len(found.entries) >= found.max_entries:
        raise TargetError(
            f"prefix list {found.name} is full ({found.max_entries} entries); raise MaxEntries",
            code="PrefixListMaxEntriesExceeded",
        )
    entry = pl_read.list_rule(
        found.id, found.name, (AccountId(found.owner), where[1]), cidr, description, found.managed
    )
    return ref, [Change("authorize", entry, cidr, f"add {cidr} to {found.name}", ref)], note


def _order(rule: Entry) -> tuple[object, ...]:
    traffic = rule.traffic
    ports = (traffic.protocol, traffic.from_port, traffic.to_port) if traffic else ("", -1, -1)
    return (rule.container_id, rule.direction or "", *ports, rule.entry_id)


def _description(request: MigrateRequest, rules: Sequence[Entry]) -> str | None:
    # The entry is described as most of the rules describe the CIDR (ties: alphabetically).
    said = Counter(r.description for r in rules if r.description)
    return request.description or (min(said, key=lambda d: (-said[d], d)) if said else None)


def plan(
    rules: Iterable[Entry],
    request: MigrateRequest,
    where: Where,
    found: PrefixList | None,
    usage: Usage,
    refs: Refs,
) -> Plan:
    """The changes that make the list hold the CIDR and the rules reference it. No I/O."""
    ordered = sorted((r for r in rules if request.moves(r)), key=_order)
    if not ordered:
        return Plan((), ())
    try:
        ref, changes, note = _list_changes(request, where, found, _description(request, ordered))
    except LookupError as locked:
        return Plan((), tuple(ordered), (), tuple((r, str(locked.args[0])) for r in ordered))
    weight = ref.max_entries or 1
    used = dict(usage)
    blocked: list[tuple[Entry, str]] = []
    unchanged: list[Entry] = []
    for rule in ordered:
        if request.skip_managed and rule.managed:
            unchanged.append(rule)
            continue
        if ref.id and (rule.key, ref.id) in refs:
            why = f"{ref.name} already referenced alike{note}"
            changes.append(Change("revoke", rule, None, why, reference=ref))
            continue
        space = (rule.container_id, rule.direction, family(rule.cidr))
        # The reference is authorized before the literal rule goes: both count at once.
        after = used.get(space, 0) + weight
        if after > request.rules_quota:
            why = (
                f"would not fit: {after} {rule.direction} {space[2]} rule units (the reference "
                f"counts as MaxEntries {weight}, beside the rule it replaces) > quota "
                f"{request.rules_quota}"
            )
            blocked.append((rule, why))
            continue
        used[space] = after
        changes.extend(repoint(rule, ref, note))
    if not any(c.entry.kind == sg_read.NAME for c in changes):
        # Nothing would reference the list: do not create or widen it for nobody.
        changes = []
    return Plan(tuple(changes), tuple(ordered), tuple(unchanged), tuple(blocked))


def _find(client: EC2Client, lists: Sequence[Any], scope: Scope, wanted: str) -> PrefixList | None:
    field = "PrefixListId" if pl_read.is_list_id(wanted) else "PrefixListName"
    named = [raw for raw in lists if raw.get(field) == wanted]
    if any(raw.get("OwnerId") == pl_read.AWS_OWNER for raw in named):
        raise TargetError(
            f"{wanted} is AWS-managed; migrate to a list of your own", code="AwsManagedPrefixList"
        )
    own = [raw for raw in named if pl_read.changeable(raw)]
    return pl_read.info(client, own[0], scope) if own else None


def usage(
    client: EC2Client, group_ids: Sequence[str], page_size: int, lists: Sequence[Any]
) -> tuple[Usage, Refs]:
    """Entry units used per (group, direction, family), and the lists each rule references."""
    weights = {
        raw["PrefixListId"]: (raw.get("AddressFamily") or "IPv4", int(raw.get("MaxEntries") or 1))
        for raw in lists
    }
    used: Usage = {}
    refs: Refs = set()
    for raw in sg_read.rules_of_groups(client, group_ids, page_size):
        key = sg_read.rule_key(raw)
        listed = raw.get("PrefixListId")
        # UNVERIFIED: a rule referencing a group is counted as one IPv4 rule.
        kind, units = weights.get(listed, ("IPv4", 1)) if listed else ("IPv4", 1)
        if raw.get("CidrIpv6"):
            kind = "IPv6"
        space = (raw["GroupId"], key[1].direction if key[1] is not None else None, kind)
        used[space] = used.get(space, 0) + units
        if listed:
            refs.add((key, listed))
    return used, refs
