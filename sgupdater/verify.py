"""Optimistic concurrency: before changing a rule, check it still looks as the plan saw it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sgupdater._types import RuleId
from sgupdater.models import Change, Current, Key, Plan, Skipped


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


def _key(change: Change) -> Key:
    rule = change.rule
    return (rule.group_id, rule.direction, rule.protocol, rule.from_port, rule.to_port)


def verify(
    expected: Sequence[Expect], current: Sequence[Current]
) -> tuple[Plan, dict[int, Skipped]]:
    """All the changes (ids filled in where found), and why some must not be made."""
    by_id = {c.rule_id: c for c in current}
    allowed = {(c.key, c.cidr): c for c in current}
    produced = {
        (_key(e.change), str(e.change.new_cidr))
        for e in expected
        if e.change.action in ("modify", "authorize")
    }
    changes: list[Change] = []
    skipped: dict[int, Skipped] = {}
    for index, item in enumerate(expected):
        change, key = item.change, _key(item.change)
        reason = None
        if item.absent and (key, str(change.new_cidr)) in allowed:
            reason = f"{change.new_cidr} is already allowed alike"
        elif item.still is not None:
            rule = change.rule
            now = by_id.get(rule.rule_id) if rule.rule_id else allowed.get((key, item.still))
            if now is None:
                reason = "the rule is gone since"
            elif (now.key, now.cidr, now.description) != (key, item.still, rule.description):
                reason = "the rule was changed since; not overwritten"
            elif now.rule_id != rule.rule_id:
                change = dataclasses.replace(
                    change, rule=dataclasses.replace(rule, rule_id=RuleId(now.rule_id))
                )
        if reason is None and item.covered_by is not None:
            cover = (key, item.covered_by)
            if cover not in allowed and cover not in produced:
                reason = f"{item.covered_by} is no longer allowed alike; kept the rule"
        if reason is not None:
            skipped[index] = Skipped(reason)
        changes.append(change)
    return Plan(tuple(changes), tuple(e.change.rule for e in expected)), skipped


def for_plan(plan: Plan) -> list[Expect]:
    """What a reviewed plan's changes expect of the rules they touch."""
    expected = []
    for change in plan.changes:
        cidr = str(change.rule.cidr)
        if change.action in ("modify", "authorize"):
            expected.append(Expect(change, still=cidr, absent=True))
        else:
            cover = str(change.new_cidr) if change.new_cidr is not None else None
            expected.append(Expect(change, still=cidr, covered_by=cover))
    return expected
