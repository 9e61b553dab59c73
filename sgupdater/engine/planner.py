"""Pure planning: scanned entries and CIDR mappings in, changes out. No I/O."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sgupdater import kinds
from sgupdater._types import BOTH, Cidr, Direction
from sgupdater.cidrs import Mapping, inside, renumbered
from sgupdater.kinds.interface import Safety
from sgupdater.models import Change, Entry, Plan, PortKey, Quota, Scan
from sgupdater.scope import Scope

Operation = Literal["show", "update", "add", "remove"]
Strategy = Literal["modify", "authorize-revoke"]
Match = Literal["exact", "within"]
# How many more entries fit in each container of a kind with capacity (by container id).
Room = AnyMapping[str, int]


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
        """True when an entry allowing this CIDR can matter to the plan."""
        if self.match == "exact":
            return any(cidr == m.source or cidr == m.target for m in self.mappings)
        return any(
            inside(cidr, m.source) or (m.target is not None and inside(cidr, m.target))
            for m in self.mappings
        )

    def resolve(self, cidr: Cidr) -> tuple[bool, Cidr | None]:
        """Whether an entry allowing this CIDR is matched, and the CIDR it maps to."""
        for m in self.mappings:
            if cidr == m.source or (self.match == "within" and inside(cidr, m.source)):
                if m.target is not None and self.renumber:
                    return True, renumbered(cidr, m.source, m.target)
                return True, m.target
        return False, None

    def narrow(self, scope: Scope) -> Scope:
        """Every kind the user switched on is searched."""
        return scope

    def ranges(self) -> tuple[Cidr, ...]:
        """The from-ranges: the entries the request would match lie inside them."""
        return tuple(m.source for m in self.mappings)

    def plan_target(self, found: Scan, clients: Callable[[str], Any], scope: Scope) -> Plan:
        """The plan for one target's scan; nothing more is read."""
        return plan(
            found.rules,
            self,
            found.room,
            found.locked,
            quotas=found.quotas,
            allow=scope.switches,
        )


def _sort_key(rule: Entry) -> tuple[object, ...]:
    cidr, traffic = rule.cidr, rule.traffic
    return (
        rule.kind,
        rule.container_id,
        ("", "", -1, -1, "") if traffic is None else
        (traffic.direction, traffic.protocol, traffic.from_port, traffic.to_port, traffic.action),
        cidr.version,
        # Numbers, not text: formatting 100,000 addresses is most of a big plan's time.
        int(cidr.network_address),
        cidr.prefixlen,
        rule.entry_id,
    )  # fmt: skip


def _ck(cidr: Cidr) -> tuple[int, int, int]:
    # ipaddress hashes in Python; a tuple of ints hashes in C, and the planner hashes a lot.
    return (int(cidr.network_address), cidr.prefixlen, cidr.version)


@dataclass
class _Planning:
    """The state of planning one target: what is allowed so far and what was decided."""

    request: Request
    allowed: set[tuple[PortKey, tuple[int, int, int]]]
    room: dict[str, int]
    changes: list[Change] = field(default_factory=list)
    matched: list[Entry] = field(default_factory=list)
    unchanged: list[Entry] = field(default_factory=list)
    blocked: list[tuple[Entry, str]] = field(default_factory=list)
    kept: list[tuple[Entry, str]] = field(default_factory=list)
    # What the run allows beyond the plan's own changes (--include-block-lists).
    allow: frozenset[str] = frozenset()

    def present(self, rule: Entry, target: Cidr | None) -> bool:
        """True when the target CIDR is already allowed alike."""
        return target is not None and (rule.key, _ck(target)) in self.allowed

    def remove(self, rule: Entry, target: Cidr | None) -> None:
        restricts = kinds.get(rule.kind).safety(rule).restricts
        if restricts:
            # Deleting a deny would let the range in, not shut it out.
            self.kept.append((rule, f"kept: {restricts}; removing it would let {rule.cidr} in"))
        elif target is None or self.present(rule, target):
            why = f"{target} already allowed" if target else "remove"
            self.changes.append(Change("revoke", rule, target, reason=why))
        else:
            self.unchanged.append(rule)

    def decide(self, rule: Entry, target: Cidr | None, held: AnyMapping[str, str]) -> None:
        """What becomes of one matched entry."""
        self.matched.append(rule)
        if self.request.skip_managed and rule.managed:
            # Left to its stack: counted in the summary as managed, never changed here.
            self.unchanged.append(rule)
        elif rule.container_id in held:
            self.blocked.append((rule, held[rule.container_id]))
        elif self.request.operation == "remove":
            self.remove(rule, target)
        elif target is not None:  # update and add always carry a to-cidr
            self.move(rule, target)

    def consented(self, rule: Entry, target: Cidr, safety: Safety) -> bool:
        """False (and blocked) for a restricting entry whose kind wants consent not given."""
        if not safety.restricts or not safety.consent or safety.consent in self.allow:
            return True
        why = (
            f"{safety.restricts}: changing it would restrict {target} instead; "
            f"pass {kinds.allowance(safety.consent).flag} to change it anyway"
        )
        self.blocked.append((rule, why))
        return False

    def move(self, rule: Entry, target: Cidr) -> None:
        """update or add: allow target where rule allows its CIDR (and drop it for update)."""
        safety = kinds.get(rule.kind).safety(rule)
        if not self.consented(rule, target, safety):
            return
        made = len(self.changes)
        self.moved(rule, target)
        if safety.restricts:
            # The plan names what the change is and, for a block list, the decision taken.
            for at in range(made, len(self.changes)):
                change = self.changes[at]
                why = f"{change.reason}; {safety.restricts}"
                if safety.consent:
                    why += f" ({kinds.allowance(safety.consent).flag})"
                self.changes[at] = dataclasses.replace(change, reason=why)

    def moved(self, rule: Entry, target: Cidr) -> None:
        """The changes of move, whatever the entry means."""
        operation, traits = self.request.operation, kinds.get(rule.kind).traits
        if traits.in_place_only:
            if operation == "add":
                why = "an entry ordered by its number cannot be added beside"
                self.blocked.append((rule, why))
            else:
                # Ordered by number, not unique by CIDR: replacing is always possible.
                why = f"replace rule {rule.entry_id}"
                self.changes.append(Change("modify", rule, target, reason=why))
            return
        if traits.values_repeat:
            # Alike means in the same condition, which only the kind can tell.
            if operation == "add":
                self.changes.append(Change("authorize", rule, target, f"allow {target} beside"))
            else:
                self.changes.append(Change("modify", rule, target, reason="replace in place"))
            return
        if self.present(rule, target):
            if operation == "add":
                self.unchanged.append(rule)
            else:
                self.changes.append(Change("revoke", rule, target, f"{target} already allowed"))
            return
        replace = operation == "update" and (self.request.strategy == "modify" or traits.atomic)
        if traits.has_capacity and not replace and not self.fits(rule):
            return
        self.allowed.add((rule.key, _ck(target)))
        if replace:
            self.changes.append(Change("modify", rule, target, reason="replace in place"))
            return
        self.changes.append(Change("authorize", rule, target, reason=f"allow {target} beside"))
        if operation == "update":
            self.changes.append(Change("revoke", rule, target, f"{target} authorized first"))

    def fits(self, rule: Entry) -> bool:
        """Take one place in the rule's container; False (and blocked) when it is full."""
        left = self.room.get(rule.container_id)
        if left is None:
            return True
        if left < 1:
            self.blocked.append((rule, f"{rule.container_name or rule.container_id} is full"))
            return False
        self.room[rule.container_id] = left - 1
        return True


def plan(
    rules: Iterable[Entry],
    request: Request,
    room: Room | None = None,
    locked: AnyMapping[str, str] | None = None,
    *,
    quotas: AnyMapping[str, Quota] | None = None,
    allow: frozenset[str] = frozenset(),
) -> Plan:
    """Plan the changes that carry out the request on these entries.

    room: how many more entries fit in each container with capacity; unknown means no limit.
    locked: containers whose entries cannot be changed here, and why: matched, then blocked.
    quotas: the size each container's write must fit; a container that would not is blocked.
    """
    held = locked or {}
    wanted = (r for r in rules if r.direction is None or r.direction in request.directions)
    ordered = sorted(wanted, key=_sort_key)
    facts = [(r, _ck(r.cidr)) for r in ordered]
    state = _Planning(request, {(r.key, ck) for r, ck in facts}, dict(room or {}), allow=allow)
    # Exact matching (the default) is one dictionary lookup per entry.
    exact = {_ck(m.source): m for m in request.mappings} if request.match == "exact" else None
    for rule, ck in facts:
        if exact is not None:
            found = exact.get(ck)
            if found is None:
                continue
            target = found.target
        else:
            hit, target = request.resolve(rule.cidr)
            if not hit:
                continue
        if request.operation == "show":
            if not state.present(rule, target):
                state.matched.append(rule)
            continue
        state.decide(rule, target, held)
    changes, over = _within_quotas(state.changes, quotas or {})
    return Plan(
        tuple(changes),
        tuple(state.matched),
        tuple(state.unchanged),
        tuple(state.blocked) + over,
        tuple(state.kept),
    )


def _within_quotas(
    changes: list[Change], quotas: AnyMapping[str, Quota]
) -> tuple[list[Change], tuple[tuple[Entry, str], ...]]:
    """The changes whose containers' writes fit their quotas, and the others, blocked.

    A quota's containers are written together or not at all: half a policy's changes would
    leave the old range trusted in the other half.
    """
    spent: dict[str, int] = {}
    for change in changes:
        quota = quotas.get(change.entry.container_id)
        if quota is not None:
            cost = kinds.get(change.entry.kind).cost(change)
            spent[quota.key] = spent.get(quota.key, 0) + cost
    over = {}
    for container, quota in quotas.items():
        after = quota.used + spent.get(quota.key, 0)
        if quota.key in spent and after > quota.limit:
            over[container] = (
                f"the write would hold {after} of {quota.limit} {quota.unit} AWS allows "
                f"({quota.key}); left as it is"
            )
    if not over:
        return changes, ()
    fit = [c for c in changes if c.entry.container_id not in over]
    blocked = tuple(
        (c.entry, over[c.entry.container_id]) for c in changes if c.entry.container_id in over
    )
    return fit, blocked
