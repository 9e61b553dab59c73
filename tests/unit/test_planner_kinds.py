"""Planner properties over prefix-list and network ACL entries, applied to an in-memory model."""

from __future__ import annotations

import dataclasses
import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from sgupdater._types import AccountId, ContainerId, Direction, EntryId, KindName, Region
from sgupdater.cidrs import Mapping
from sgupdater.engine.planner import Request, plan
from sgupdater.models import Change, Entry, Traffic

A = ipaddress.ip_network("192.0.2.0/24")
B = ipaddress.ip_network("198.51.100.0/24")
OTHER = ipaddress.ip_network("10.0.0.0/8")
MOVE = (Mapping(A, B),)


def entry(kind: str, group: str, number: str, egress: bool, cidr: object, action: str) -> Entry:
    listed = kind == "prefix-list"
    direction: Direction = "egress" if egress else "ingress"
    return Entry(
        kind=KindName(kind),
        account=AccountId("111111111111"),
        region=Region("eu-west-1"),
        vpc_id="" if listed else "vpc-1",
        container_id=ContainerId(group),
        container_name=group,
        entry_id=EntryId("" if listed else number),
        traffic=None if listed else Traffic(direction, "tcp", 22, 22, action),
        cidr=cidr,  # type: ignore[arg-type]
        description="office" if listed else None,
    )


def action(rule: Entry) -> str:
    return rule.traffic.action if rule.traffic is not None else ""


@st.composite
def entry_sets(draw: st.DrawFn) -> tuple[Entry, ...]:
    """Entries of two prefix lists (one per CIDR) and two ACLs (one per number and direction)."""
    lists = draw(
        st.lists(
            st.tuples(st.sampled_from(["pl-1", "pl-2"]), st.sampled_from([A, B, OTHER])),
            max_size=6,
            unique=True,
        )
    )
    acls = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["acl-1", "acl-2"]),
                st.sampled_from(["100", "110", "120"]),
                st.booleans(),
                st.sampled_from([A, B, OTHER]),
                st.sampled_from(["allow", "deny"]),
            ),
            max_size=10,
            unique_by=lambda t: (t[0], t[1], t[2]),
        )
    )
    return (
        *(entry("prefix-list", g, "", False, c, "") for g, c in lists),
        *(entry("nacl", g, n, e, c, a) for g, n, e, c, a in acls),
    )


def where(rule: Entry) -> tuple[str, ...]:
    if rule.kind == "prefix-list":
        return (rule.container_id, str(rule.cidr))
    return (rule.container_id, rule.direction or "", rule.entry_id)


def apply(rules: tuple[Entry, ...], changes: tuple[Change, ...]) -> tuple[Entry, ...]:
    """What EC2 holds after the changes; a list never holds a CIDR twice."""
    held = {where(r): r for r in rules}
    for change in changes:
        old = held.pop(where(change.entry))
        if change.action == "modify":
            assert change.new_cidr is not None
            new = dataclasses.replace(old, cidr=change.new_cidr)
            assert where(new) not in held, f"duplicate after {change}"
            held[where(new)] = new
        elif change.action == "authorize":
            assert change.new_cidr is not None
            held[where(old)] = old
            new = dataclasses.replace(old, cidr=change.new_cidr)
            assert where(new) not in held, f"duplicate after {change}"
            held[where(new)] = new
    return tuple(held.values())


@settings(max_examples=300)
@given(entry_sets())
def test_update_leaves_nothing_naming_the_old_cidr(rules: tuple[Entry, ...]) -> None:
    after = apply(rules, plan(rules, Request("update", MOVE)).changes)
    assert not [r for r in after if r.cidr == A]
    assert plan(after, Request("update", MOVE)).changes == ()


@settings(max_examples=300)
@given(entry_sets())
def test_update_keeps_each_acl_entry_number_and_action(rules: tuple[Entry, ...]) -> None:
    after = apply(rules, plan(rules, Request("update", MOVE)).changes)
    before = {where(r): action(r) for r in rules if r.kind == "nacl"}
    assert {where(r): action(r) for r in after if r.kind == "nacl"} == before
    for rule in rules:
        if rule.kind == "nacl" and rule.cidr == A:
            assert dataclasses.replace(rule, cidr=B) in after


@settings(max_examples=300)
@given(entry_sets())
def test_remove_never_deletes_a_deny_entry(rules: tuple[Entry, ...]) -> None:
    after = apply(rules, plan(rules, Request("remove", (Mapping(A),))).changes)
    assert {r for r in rules if action(r) == "deny"} <= set(after)
    assert not [r for r in after if r.cidr == A and action(r) != "deny"]


@settings(max_examples=300)
@given(entry_sets())
def test_add_then_remove_only_where_equals_update_for_lists(rules: tuple[Entry, ...]) -> None:
    lists = tuple(r for r in rules if r.kind == "prefix-list")
    updated = apply(lists, plan(lists, Request("update", MOVE)).changes)
    added = apply(lists, plan(lists, Request("add", MOVE)).changes)
    removed = apply(added, plan(added, Request("remove", MOVE)).changes)
    assert {where(r) for r in removed} == {where(r) for r in updated}


@given(entry_sets(), st.integers(min_value=0, max_value=2))
def test_a_list_never_grows_past_its_room(rules: tuple[Entry, ...], room: int) -> None:
    lists = tuple(r for r in rules if r.kind == "prefix-list")
    planned = plan(lists, Request("add", MOVE), {"pl-1": room})
    added = [
        c for c in planned.changes if c.action == "authorize" and c.entry.container_id == "pl-1"
    ]
    assert len(added) <= room
