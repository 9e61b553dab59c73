"""Pure planning: scanned rules and CIDR mappings in, changes out. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass
from typing import Literal

from sgupdater._types import Cidr, Direction
from sgupdater.cidrs import Mapping, inside, renumbered
from sgupdater.models import Change, Plan, PortKey, Rule

Operation = Literal["show", "update", "add", "remove"]
Strategy = Literal["modify", "authorize-revoke"]
Match = Literal["exact", "within"]
BOTH: frozenset[Direction] = frozenset(("ingress", "egress"))
Room = AnyMapping[tuple[str, Direction], int]


@dataclass(frozen=True, slots=True)
class Request:
    """What the user asked for, independent of any target."""

    operation: Operation
    mappings: tuple[Mapping, ...]
    strategy: Strategy = "modify"
    directions: frozenset[Direction] = BOTH
    match: Match = "exact"
    renumber: bool = False
    skip_managed: bool = False

    def relevant(self, cidr: Cidr) -> bool:
        """True when a rule allowing this CIDR can matter to the plan."""
        if self.match == "exact":
            return any(cidr == m.source or cidr == m.target for m in self.mappings)
        return any(
            inside(cidr, m.source) or (m.target is not None and inside(cidr, m.target))
            for m in self.mappings
        )

    def resolve(self, cidr: Cidr) -> tuple[bool, Cidr | None]:
        """Whether a rule allowing this CIDR is matched, and the CIDR it maps to."""
        for m in self.mappings:
            if cidr == m.source or (self.match == "within" and inside(cidr, m.source)):
                if m.target is not None and self.renumber:
                    return True, renumbered(cidr, m.source, m.target)
                return True, m.target
        return False, None


def _sort_key(rule: Rule) -> tuple[str, str, str, str, int, int, int, int, int, str]:
    cidr = rule.cidr
    return (
        rule.kind,
        rule.group_id,
        rule.direction,
        rule.protocol,
        rule.from_port,
        rule.to_port,
        cidr.version,
        # Numbers, not text: formatting 100,000 addresses is most of a big plan's time.
        int(cidr.network_address),
        cidr.prefixlen,
        rule.rule_id,
    )


def _ck(cidr: Cidr) -> tuple[int, int, int]:
    # ipaddress hashes in Python; a tuple of ints hashes in C, and the planner hashes a lot.
    return (int(cidr.network_address), cidr.prefixlen, cidr.version)


def _alike(rule: Rule) -> tuple[PortKey, str]:
    # A NACL entry only stands in for another of the same action.
    return rule.key, rule.rule_action


def plan(rules: Iterable[Rule], request: Request, room: Room | None = None) -> Plan:
    """Plan the changes that carry out the request on these rules.

    room: how many more entries fit in each prefix list (by list id); unknown means no limit.
    """
    wanted = (r for r in rules if r.kind == "prefix-list" or r.direction in request.directions)
    ordered = sorted(wanted, key=_sort_key)
    facts = [(r, _alike(r), _ck(r.cidr)) for r in ordered]
    allowed = {(alike, ck) for _, alike, ck in facts}
    left = dict(room or {})
    changes: list[Change] = []
    matched: list[Rule] = []
    unchanged: list[Rule] = []
    blocked: list[tuple[Rule, str]] = []
    # Exact matching (the default) is one dictionary lookup per rule.
    exact = {_ck(m.source): m for m in request.mappings} if request.match == "exact" else None
    for rule, alike, ck in facts:
        if exact is not None:
            found = exact.get(ck)
            if found is None:
                continue
            target = found.target
        else:
            hit, target = request.resolve(rule.cidr)
            if not hit:
                continue
        present = target is not None and (alike, _ck(target)) in allowed
        if request.operation == "show":
            if not present:
                matched.append(rule)
            continue
        matched.append(rule)
        if request.skip_managed and rule.managed:
            # Left to its stack: counted in the summary as managed, never changed here.
            unchanged.append(rule)
            continue
        if request.operation == "remove":
            if rule.kind == "nacl" and rule.rule_action != "allow":
                # Deleting a deny entry would let the range in, not shut it out.
                unchanged.append(rule)
            elif target is None or present:
                why = f"{target} already allowed" if target else "remove"
                changes.append(Change("revoke", rule, target, reason=why))
            else:
                unchanged.append(rule)
            continue
        assert target is not None  # update and add always carry a to-cidr
        if rule.kind == "nacl" and request.operation == "add":
            blocked.append((rule, "a NACL entry cannot be added beside: its number orders it"))
            continue
        if rule.kind == "nacl":
            # Entries are ordered by number, not unique by CIDR: replacing is always possible.
            changes.append(Change("modify", rule, target, reason=f"replace rule {rule.rule_id}"))
            continue
        if present:
            if request.operation == "add":
                unchanged.append(rule)
            else:
                changes.append(Change("revoke", rule, target, reason=f"{target} already allowed"))
            continue
        replace = request.operation == "update" and (
            request.strategy == "modify" or rule.kind == "prefix-list"
        )
        if rule.kind == "prefix-list" and not replace:
            space = (rule.group_id, rule.direction)
            if left.get(space, 1) < 1:
                blocked.append((rule, f"prefix list {rule.group_name} is full (MaxEntries)"))
                continue
            if space in left:
                left[space] -= 1
        allowed.add((alike, _ck(target)))
        if replace:
            changes.append(Change("modify", rule, target, reason="replace in place"))
            continue
        changes.append(Change("authorize", rule, target, reason=f"allow {target} beside"))
        if request.operation == "update":
            changes.append(Change("revoke", rule, target, reason=f"{target} authorized first"))
    return Plan(tuple(changes), tuple(matched), tuple(unchanged), tuple(blocked))
