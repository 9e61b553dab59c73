"""Optimistic concurrency: before changing a rule, check it still looks as the plan saw it."""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Sequence
from dataclasses import dataclass

from sgupdater import kinds
from sgupdater._types import EntryId
from sgupdater.models import IN_DOUBT, Change, Current, Plan, PortKey, Skipped, new_value

# An in-doubt change found never made: its undo has nothing to do.
_NEVER = "the change was never made; nothing to undo"


@dataclass(frozen=True, slots=True)
class Expect:
    """A change and what must hold for it to be made."""

    change: Change
    # The rule (by id; by key and CIDR where its id is unknown) must still allow this, unchanged.
    still: str | None = None
    # For an authorize: the new CIDR must not be allowed alike already.
    absent: bool = False
    # For a revoke: this CIDR must be allowed alike, so revoking never cuts access.
    covered_by: str | None = None
    # Undoing a change whose answer was never journalled: it may not have been made at all.
    in_doubt: bool = False
    # A reviewed plan names the rule by id: only that rule, in that container, is changed; a
    # look-alike found by content is not the rule that was reviewed.
    bound: bool = False


def _slot(key: PortKey, rule_id: str) -> tuple[str, str, str]:
    # ACL rule numbers repeat across ACLs and directions; rule ids are unique anyway.
    traffic = key[1]
    return (key[0], traffic.direction if traffic is not None else "", rule_id)


def _still(
    change: Change,
    still: str,
    by_id: dict[tuple[str, str, str], Current],
    allowed: dict[tuple[PortKey, str], Current],
    bound: bool = False,
) -> tuple[str | None, Change]:
    """Why the entry no longer looks as planned (None: it does), and the change to make."""
    rule, key = change.entry, change.entry.key
    now = by_id.get(_slot(key, rule.entry_id)) if rule.entry_id else None
    if now is None and bound and rule.entry_id:
        alike = (key, still) in allowed
        why = (
            f"; a rule alike in {rule.container_id} is not the one the plan names" if alike else ""
        )
        return f"the rule is gone since{why}", change
    if now is None and not kinds.get(rule.kind).traits.in_place_only:
        # The same rule under another id (made anew since, as migrate and its rollback do):
        # found by its traffic and what it allows; ordered entries only by their number.
        now = allowed.get((key, still))
    if now is None:
        return "the rule is gone since", change
    if (now.key, now.cidr, now.description) != (key, still, rule.description):
        return "the rule was changed since; not overwritten", change
    if now.entry_id != rule.entry_id:
        change = dataclasses.replace(
            change, entry=dataclasses.replace(rule, entry_id=EntryId(now.entry_id))
        )
    return None, change


def _doubt(
    item: Expect, key: PortKey, allowed: dict[tuple[PortKey, str], Current], why: str
) -> str:
    """Why an in-doubt undo is not made: the original never happened, or the entry moved on."""
    change = item.change
    if change.action in ("modify", "authorize"):
        # Undoing a modify or a revoke: the state before it is still there.
        never = (key, str(change.new_cidr)) in allowed
    elif change.action == "revoke":
        # Undoing an authorize: what it would have allowed never appeared.
        never = (key, item.still or "") not in allowed
    else:
        never = False
    if never:
        return f"{IN_DOUBT}: {_NEVER}"
    return f"{IN_DOUBT}: {why}"


def verify(
    expected: Sequence[Expect], current: Sequence[Current]
) -> tuple[Plan, dict[int, Skipped]]:
    """All the changes (ids filled in where found), and why some must not be made."""
    by_id = {_slot(c.key, c.entry_id): c for c in current if c.entry_id}
    allowed = {(c.key, c.cidr): c for c in current}
    produced = {
        (e.change.entry.key, new_value(e.change))
        for e in expected
        if e.change.action in ("modify", "authorize", "create")
    }
    changes: list[Change] = []
    skipped: dict[int, Skipped] = {}
    for index, item in enumerate(expected):
        change, key = item.change, item.change.entry.key
        reason = None
        rule = change.entry
        # Re-creating a deleted ACL entry needs its number free.
        taken = (
            kinds.get(rule.kind).traits.in_place_only
            and change.action == "authorize"
            and _slot(key, rule.entry_id) in by_id
        )
        if item.absent and (key, new_value(change)) in allowed:
            reason = f"{new_value(change)} is already allowed alike"
        elif item.absent and taken:
            reason = f"rule number {rule.entry_id} is taken since"
        elif item.still is not None:
            reason, change = _still(change, item.still, by_id, allowed, item.bound)
        if reason is None and item.covered_by is not None:
            cover = (key, item.covered_by)
            if cover not in allowed and cover not in produced:
                reason = f"{item.covered_by} is no longer allowed alike; kept the rule"
        if reason is not None and item.in_doubt:
            reason = _doubt(item, key, allowed, reason)
        if reason is not None:
            skipped[index] = Skipped(reason, settled=_settled(item, allowed))
        changes.append(change)
    return Plan(tuple(changes), tuple(e.change.entry for e in expected)), skipped


def _settled(item: Expect, allowed: Container[tuple[PortKey, str]]) -> bool:
    """Whether a skip leaves no old value trusted that the change was to replace (else the entry
    moved on since the plan, and the run must say the job is not done)."""
    change, key = item.change, item.change.entry.key
    old = item.still if item.still is not None else str(change.entry.cidr)
    if (key, old) not in allowed:
        # Nothing trusts the old value there any more (gone, or changed by someone else).
        return True
    if change.action in ("modify", "revoke"):
        return False
    # Beside the old value (add, or a rule pointed at a list): settled when the new one is there.
    return (key, new_value(change)) in allowed


def for_plan(plan: Plan) -> list[Expect]:
    """What a reviewed plan's changes expect of the rules they touch."""
    expected = []
    for change in plan.changes:
        cidr = str(change.entry.cidr)
        bound = bool(change.entry.entry_id)
        if change.action == "create":
            # The applier reuses a list of that name if one appeared meanwhile.
            expected.append(Expect(change))
        elif change.action == "modify":
            expected.append(Expect(change, still=cidr, absent=True, bound=bound))
        elif change.action == "authorize":
            # Beside a rule or entry, that one must still be there; migrate's entry stands alone.
            still = cidr if change.reference is None else None
            expected.append(Expect(change, still=still, absent=True, bound=bound))
        else:
            cover = new_value(change) if change.new_cidr or change.reference else None
            expected.append(Expect(change, still=cidr, covered_by=cover, bound=bound))
    return expected
