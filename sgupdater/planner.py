"""Pure planning: scanned rules and CIDR mappings in, changes out. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sgupdater._types import Cidr, Direction
from sgupdater.cidrs import Mapping
from sgupdater.models import Change, Plan, PortKey, Rule

Operation = Literal["show", "update", "add", "remove"]
Strategy = Literal["modify", "authorize-revoke"]
BOTH: frozenset[Direction] = frozenset(("ingress", "egress"))


@dataclass(frozen=True, slots=True)
class Request:
    """What the user asked for, independent of any target."""

    operation: Operation
    mappings: tuple[Mapping, ...]
    strategy: Strategy = "modify"
    directions: frozenset[Direction] = BOTH

    def relevant(self, cidr: Cidr) -> bool:
        """True when a rule allowing this CIDR can matter to the plan."""
        return any(cidr == m.source or cidr == m.target for m in self.mappings)


def _sort_key(rule: Rule) -> tuple[str, str, str, int, int, int, str, str]:
    return (
        rule.group_id,
        rule.direction,
        rule.protocol,
        rule.from_port,
        rule.to_port,
        rule.cidr.version,
        str(rule.cidr),
        rule.rule_id,
    )


def plan(rules: Iterable[Rule], request: Request) -> Plan:
    """Plan the changes that carry out the request on these rules."""
    ordered = sorted((r for r in rules if r.direction in request.directions), key=_sort_key)
    allowed: set[tuple[PortKey, Cidr]] = {(r.key, r.cidr) for r in ordered}
    by_source = {m.source: m.target for m in request.mappings}
    changes: list[Change] = []
    matched: list[Rule] = []
    unchanged: list[Rule] = []
    for rule in ordered:
        if rule.cidr not in by_source:
            continue
        target = by_source[rule.cidr]
        present = target is not None and (rule.key, target) in allowed
        if request.operation == "show":
            if not present:
                matched.append(rule)
            continue
        matched.append(rule)
        if request.operation == "remove":
            if target is None or present:
                why = f"{target} already allowed" if target else "remove"
                changes.append(Change("revoke", rule, target, reason=why))
            else:
                unchanged.append(rule)
            continue
        assert target is not None  # update and add always carry a to-cidr
        if present:
            if request.operation == "add":
                unchanged.append(rule)
            else:
                changes.append(Change("revoke", rule, target, reason=f"{target} already allowed"))
            continue
        allowed.add((rule.key, target))
        if request.operation == "update" and request.strategy == "modify":
            changes.append(Change("modify", rule, target, reason="replace in place"))
            continue
        changes.append(Change("authorize", rule, target, reason=f"allow {target} beside"))
        if request.operation == "update":
            changes.append(Change("revoke", rule, target, reason=f"{target} authorized first"))
    return Plan(tuple(changes), tuple(matched), tuple(unchanged))
