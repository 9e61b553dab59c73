"""migrate's pure planner: which list changes and which rules move, from what was read."""

from __future__ import annotations

import ipaddress

import pytest

from sgupdater.errors import TargetError
from sgupdater.kinds.prefix_lists.migrate import MigrateRequest, plan
from sgupdater.kinds.prefix_lists.read import PrefixList
from testkit.records import ACCOUNT, REGION, sg_rule

A = "192.0.2.0/24"
CIDR = ipaddress.ip_network(A)
WHERE = (ACCOUNT, REGION)
RULES = (
    sg_rule(A, entry_id="sgr-1", port=22, description="office"),
    sg_rule(A, entry_id="sgr-2", port=443, description="office"),
    sg_rule(A, entry_id="sgr-3", port=80, description="vpn"),
    sg_rule("10.0.0.0/8", entry_id="sgr-4"),
)


def offices(*entries: str, max_entries: int = 5) -> PrefixList:
    held = tuple((ipaddress.ip_network(c), None) for c in entries)
    return PrefixList("pl-1", "offices", str(ACCOUNT), max_entries, "IPv4", "", held)


def test_a_created_list_holds_the_cidr_described_as_most_rules_describe_it() -> None:
    request = MigrateRequest(CIDR, "offices", create=True)
    planned = plan(RULES, request, WHERE, None, {}, set())
    create, *moves = planned.changes
    assert (create.action, create.entry.description, create.new_cidr) == ("create", "office", CIDR)
    # A rule cannot change its type: each gets a reference beside it, then goes.
    assert [(c.action, c.entry.entry_id) for c in moves] == [
        ("authorize", "sgr-1"),
        ("revoke", "sgr-1"),
        ("authorize", "sgr-3"),
        ("revoke", "sgr-3"),
        ("authorize", "sgr-2"),
        ("revoke", "sgr-2"),
    ]
    assert {c.reference.name for c in moves if c.reference} == {"offices"}


def test_a_missing_list_without_create_fails_the_target() -> None:
    with pytest.raises(TargetError, match="pass --create"):
        plan(RULES, MigrateRequest(CIDR, "offices"), WHERE, None, {}, set())


def test_a_rule_already_referencing_the_list_alike_loses_its_literal_twin() -> None:
    request = MigrateRequest(CIDR, "offices")
    refs = {(RULES[0].key, "pl-1")}
    planned = plan(RULES, request, WHERE, offices(A), {}, refs)
    assert [(c.action, c.entry.entry_id) for c in planned.changes] == [
        ("revoke", "sgr-1"),
        ("authorize", "sgr-3"),
        ("revoke", "sgr-3"),
        ("authorize", "sgr-2"),
        ("revoke", "sgr-2"),
    ]


def test_a_group_without_room_for_the_reference_is_blocked() -> None:
    # A reference counts as the list's MaxEntries (5) beside the rule it replaces; the group
    # has 56 of 60 IPv4 units used.
    request = MigrateRequest(CIDR, "offices")
    planned = plan(RULES, request, WHERE, offices(A), {("sg-1", "ingress", "IPv4"): 56}, set())
    assert [c.entry.entry_id for c in planned.changes] == []
    assert [(r.entry_id, why.split(":")[0]) for r, why in planned.blocked] == [
        ("sgr-1", "would not fit"),
        ("sgr-3", "would not fit"),
        ("sgr-2", "would not fit"),
    ]


def test_nothing_to_move_creates_nothing() -> None:
    request = MigrateRequest(ipaddress.ip_network("203.0.113.0/24"), "offices", create=True)
    assert plan(RULES, request, WHERE, None, {}, set()).changes == ()


def test_the_quota_is_counted_per_ip_family() -> None:
    # 56 IPv6 units used leave the IPv4 rules' room untouched.
    request = MigrateRequest(CIDR, "offices")
    planned = plan(RULES, request, WHERE, offices(A), {("sg-1", "ingress", "IPv6"): 56}, set())
    assert planned.blocked == ()
    assert len(planned.changes) == 6


def test_a_list_this_account_cannot_edit_blocks_every_rule() -> None:
    shared = offices("10.9.0.0/16")
    shared = PrefixList(shared.id, shared.name, "999999999999", 5, "IPv4", "", shared.entries)
    planned = plan(RULES, MigrateRequest(CIDR, "offices"), WHERE, shared, {}, set())
    assert planned.changes == ()
    assert {why for _, why in planned.blocked} == {
        "prefix list offices belongs to 999999999999, shared with this account: its owner edits it"
    }
    ipam = PrefixList("pl-1", "offices", str(ACCOUNT), 5, "IPv4", "", (), "target-1")
    planned = plan(RULES, MigrateRequest(CIDR, "offices"), WHERE, ipam, {}, set())
    assert [why.split(" (")[0] for _, why in planned.blocked][:1] == [
        "prefix list offices is IPAM-managed"
    ]
