"""verify: a reviewed change is made only while its entry still looks as the plan saw it."""

from __future__ import annotations

import dataclasses
import ipaddress

from sgupdater.engine.verify import Expect, for_plan, verify
from sgupdater.models import Change, Plan
from testkit.records import acl_entry, list_entry, now, sg_rule

A, B = "192.0.2.0/24", "198.51.100.0/24"
NEW = ipaddress.ip_network(B)


def reasons(expected: list[Expect], current: list[object]) -> dict[int, str]:
    _, skipped = verify(expected, current)  # type: ignore[arg-type]
    return {index: outcome.reason for index, outcome in skipped.items()}


def test_an_unchanged_rule_is_modified() -> None:
    rule = sg_rule(A)
    assert reasons([Expect(Change("modify", rule, NEW), still=A, absent=True)], [now(rule)]) == {}


def test_a_rule_changed_since_is_not_overwritten() -> None:
    rule = sg_rule(A)
    expected = [Expect(Change("modify", rule, NEW), still=A, absent=True)]
    assert reasons(expected, [now(rule, description="edited")]) == {
        0: "the rule was changed since; not overwritten"
    }
    assert reasons(expected, []) == {0: "the rule is gone since"}


def test_a_new_cidr_already_allowed_alike_is_not_added_again() -> None:
    rule = sg_rule(A)
    twin = dataclasses.replace(rule, entry_id="sgr-2", cidr=NEW)
    expected = [Expect(Change("authorize", rule, NEW), still=A, absent=True)]
    assert reasons(expected, [now(rule), now(twin)]) == {0: f"{B} is already allowed alike"}


def test_a_revoke_needs_its_replacement_allowed_or_planned() -> None:
    rule = sg_rule(A)
    revoke = Expect(Change("revoke", rule, NEW), still=A, covered_by=B)
    assert reasons([revoke], [now(rule)]) == {0: f"{B} is no longer allowed alike; kept the rule"}
    # The authorize planned before it in the same plan produces the replacement.
    add = Expect(Change("authorize", rule, NEW), still=A, absent=True)
    assert reasons([add, revoke], [now(rule)]) == {}


def test_an_acl_entry_is_recreated_only_while_its_number_is_free() -> None:
    gone = acl_entry(A)
    recreate = [Expect(Change("authorize", gone, gone.cidr), absent=True)]
    assert reasons(recreate, []) == {}
    other = acl_entry("10.0.0.0/8")
    assert reasons(recreate, [now(other)]) == {0: "rule number 100 is taken since"}


def test_a_list_entry_is_found_by_its_cidr() -> None:
    entry = list_entry(A)
    expected = [Expect(Change("modify", entry, NEW), still=A, absent=True)]
    assert reasons(expected, [now(entry)]) == {}
    assert reasons(expected, [now(list_entry("10.0.0.0/8"))]) == {0: "the rule is gone since"}


def test_a_plan_expects_what_each_action_needs() -> None:
    rule = sg_rule(A)
    plan = Plan(
        (
            Change("modify", rule, NEW),
            Change("authorize", rule, NEW),
            Change("revoke", rule, NEW),
            Change("revoke", rule, None),
        ),
        (),
    )
    assert [(e.still, e.absent, e.covered_by) for e in for_plan(plan)] == [
        (A, True, None),
        (A, True, None),
        (A, False, B),
        (A, False, None),
    ]
