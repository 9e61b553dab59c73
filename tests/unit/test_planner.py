"""Properties of the pure planner, checked by applying plans to an in-memory model of EC2."""

from __future__ import annotations

import dataclasses
import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from sgupdater._types import AccountId, Cidr, ContainerId, Direction, EntryId, KindName, Region
from sgupdater.cidrs import Mapping, inside, renumbered
from sgupdater.engine.planner import Request, Strategy, plan
from sgupdater.models import Change, Entry, PortKey, Traffic

A = ipaddress.ip_network("192.0.2.0/24")
B = ipaddress.ip_network("198.51.100.0/24")
OTHER = ipaddress.ip_network("10.0.0.0/8")
A6 = ipaddress.ip_network("2001:db8::/32")
B6 = ipaddress.ip_network("2001:db9::/48")
PORTS = [("tcp", 22, 22), ("tcp", 443, 443), ("udp", 1000, 2000), ("-1", -1, -1), ("icmp", 8, 0)]
MAPPINGS = (Mapping(A, B), Mapping(A6, B6))
DIRECTIONS: list[Direction] = ["ingress", "egress"]

State = frozenset[tuple[PortKey, Cidr, str | None]]


@st.composite
def rule_sets(draw: st.DrawFn) -> tuple[Entry, ...]:
    """Rules of up to three groups, never two equal ones (EC2 forbids duplicates)."""
    picks = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["sg-1", "sg-2", "sg-3"]),
                st.sampled_from(DIRECTIONS),
                st.sampled_from(PORTS),
                st.sampled_from([A, B, OTHER, A6, B6]),
                st.sampled_from([None, "office", "vpn"]),
            ),
            max_size=25,
            unique_by=lambda p: (p[0], p[1], p[2], p[3]),
        )
    )
    return tuple(
        Entry(
            kind=KindName("rule"),
            account=AccountId("111111111111"),
            region=Region("eu-west-1"),
            vpc_id="vpc-1",
            container_id=ContainerId(group),
            container_name=group,
            entry_id=EntryId(f"sgr-{i}"),
            traffic=Traffic(direction, proto, low, high),
            cidr=cidr,
            description=description,
        )
        for i, (group, direction, (proto, low, high), cidr, description) in enumerate(picks)
    )


def apply(rules: tuple[Entry, ...], changes: tuple[Change, ...]) -> tuple[Entry, ...]:
    """What EC2 holds after the changes: modify in place, authorize adds, revoke drops."""
    by_id = {r.entry_id: r for r in rules}
    for n, change in enumerate(changes):
        if change.action == "modify":
            assert change.new_cidr is not None
            by_id[change.entry.entry_id] = dataclasses.replace(change.entry, cidr=change.new_cidr)
        elif change.action == "revoke":
            del by_id[change.entry.entry_id]
        else:
            assert change.new_cidr is not None
            new_id = EntryId(f"sgr-new-{n}")
            by_id[new_id] = dataclasses.replace(change.entry, entry_id=new_id, cidr=change.new_cidr)
        keys = [(r.key, r.cidr) for r in by_id.values()]
        assert len(keys) == len(set(keys)), f"duplicate rule after {change}"
    return tuple(by_id.values())


def state(rules: tuple[Entry, ...]) -> State:
    """Rules as EC2 compares them, ids aside."""
    return frozenset((r.key, r.cidr, r.description) for r in rules)


def request(
    operation: str, strategy: Strategy = "modify", mappings: tuple[Mapping, ...] = MAPPINGS
) -> Request:
    return Request(operation, mappings, strategy)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(rule_sets(), st.sampled_from(["modify", "authorize-revoke"]))
def test_update_leaves_no_rule_allowing_the_old_cidr(
    rules: tuple[Entry, ...], strategy: Strategy
) -> None:
    after = apply(rules, plan(rules, request("update", strategy)).changes)
    assert not [r for r in after if r.cidr in (A, A6)]


@settings(max_examples=300)
@given(rule_sets(), st.sampled_from(["modify", "authorize-revoke"]))
def test_update_keeps_every_other_rule_and_allows_the_new_cidr_alike(
    rules: tuple[Entry, ...], strategy: Strategy
) -> None:
    after = apply(rules, plan(rules, request("update", strategy)).changes)
    untouched = [r for r in rules if r.cidr not in (A, A6)]
    assert set(untouched) <= set(after)
    allowed = {(r.key, r.cidr) for r in after}
    for old in rules:
        if old.cidr in (A, A6):
            assert (old.key, B if old.cidr == A else B6) in allowed


@settings(max_examples=300)
@given(rule_sets(), st.sampled_from(["modify", "authorize-revoke"]))
def test_planning_again_after_update_finds_nothing(
    rules: tuple[Entry, ...], strategy: Strategy
) -> None:
    after = apply(rules, plan(rules, request("update", strategy)).changes)
    again = plan(after, request("update", strategy))
    assert again.changes == ()
    assert again.matched == ()


@settings(max_examples=300)
@given(rule_sets())
def test_add_then_remove_only_where_equals_update(rules: tuple[Entry, ...]) -> None:
    updated = apply(rules, plan(rules, request("update")).changes)
    added = apply(rules, plan(rules, request("add")).changes)
    removed = apply(added, plan(added, request("remove")).changes)
    assert state(removed) == state(updated)


@settings(max_examples=300)
@given(rule_sets())
def test_both_strategies_reach_the_same_rules(rules: tuple[Entry, ...]) -> None:
    in_place = apply(rules, plan(rules, request("update", "modify")).changes)
    two_step = apply(rules, plan(rules, request("update", "authorize-revoke")).changes)
    assert state(in_place) == state(two_step)


@settings(max_examples=300)
@given(rule_sets())
def test_modify_strategy_keeps_the_ids_of_rules_it_replaces(rules: tuple[Entry, ...]) -> None:
    proposed = plan(rules, request("update"))
    after = {r.entry_id: r for r in apply(rules, proposed.changes)}
    for change in proposed.changes:
        if change.action == "modify":
            assert after[change.entry.entry_id].cidr == change.new_cidr
            assert after[change.entry.entry_id].description == change.entry.description


@given(rule_sets())
def test_show_lists_exactly_the_rules_allowing_the_cidr(rules: tuple[Entry, ...]) -> None:
    shown = plan(rules, request("show", mappings=(Mapping(A),))).matched
    assert set(shown) == {r for r in rules if r.cidr == A}
    assert plan(rules, request("show", mappings=(Mapping(A),))).changes == ()


@given(rule_sets())
def test_show_with_a_to_cidr_lists_the_rules_still_lacking_it(rules: tuple[Entry, ...]) -> None:
    shown = plan(rules, request("show", mappings=(Mapping(A, B),))).matched
    allowed = {(r.key, r.cidr) for r in rules}
    assert set(shown) == {r for r in rules if r.cidr == A and (r.key, B) not in allowed}


@given(rule_sets(), st.sampled_from(["ingress", "egress"]))
def test_a_direction_filter_never_plans_the_other_direction(
    rules: tuple[Entry, ...], direction: Direction
) -> None:
    chosen = Request("update", MAPPINGS, "modify", frozenset((direction,)))
    assert all(c.entry.direction == direction for c in plan(rules, chosen).changes)


def test_two_old_ranges_moving_to_one_new_range_never_duplicate() -> None:
    c = ipaddress.ip_network("203.0.113.0/24")
    common = {
        "kind": KindName("rule"),
        "account": AccountId("1"),
        "region": Region("r"),
        "vpc_id": "v",
        "container_id": ContainerId("g"),
        "container_name": "g",
        "traffic": Traffic("ingress", "tcp", 22, 22),
    }
    rules = (
        Entry(entry_id=EntryId("sgr-a"), cidr=A, **common),  # type: ignore[arg-type]
        Entry(entry_id=EntryId("sgr-c"), cidr=c, **common),  # type: ignore[arg-type]
    )
    changes = plan(rules, request("update", mappings=(Mapping(A, B), Mapping(c, B)))).changes
    assert [ch.action for ch in changes] == ["modify", "revoke"]
    assert state(apply(rules, changes)) == {(rules[0].key, B, None)}


INSIDE_A = [ipaddress.ip_network(c) for c in ("192.0.2.10/32", "192.0.2.128/25", "192.0.2.0/24")]


@st.composite
def ranged_rule_sets(draw: st.DrawFn) -> tuple[Entry, ...]:
    """Rules allowing CIDRs inside A, inside B, or elsewhere."""
    base = draw(rule_sets())
    cidrs = [*INSIDE_A, *(renumbered(c, A, B) for c in INSIDE_A), OTHER]
    picks = draw(st.lists(st.sampled_from(cidrs), min_size=len(base), max_size=len(base)))
    replaced = [dataclasses.replace(r, cidr=c) for r, c in zip(base, picks, strict=True)]
    unique = {(r.key, r.cidr): r for r in replaced}
    return tuple(unique.values())


@settings(max_examples=300)
@given(ranged_rule_sets(), st.sampled_from(["modify", "authorize-revoke"]))
def test_renumber_moves_every_rule_inside_to_the_same_offset(
    rules: tuple[Entry, ...], strategy: Strategy
) -> None:
    wanted = Request("update", (Mapping(A, B),), strategy, match="within", renumber=True)
    after = apply(rules, plan(rules, wanted).changes)
    assert not [r for r in after if inside(r.cidr, A)]
    allowed = {(r.key, r.cidr) for r in after}
    for old in rules:
        if inside(old.cidr, A):
            assert (old.key, renumbered(old.cidr, A, B)) in allowed
    assert {r for r in rules if not inside(r.cidr, A)} <= set(after)
    assert plan(after, wanted).changes == ()


def test_renumber_keeps_the_offset_and_prefix_length() -> None:
    assert str(renumbered(ipaddress.ip_network("192.0.2.10/32"), A, B)) == "198.51.100.10/32"
    assert str(renumbered(ipaddress.ip_network("192.0.2.128/25"), A, B)) == "198.51.100.128/25"
    assert str(renumbered(ipaddress.ip_network("2001:db8::5/128"), A6, A6)) == "2001:db8::5/128"


@given(ranged_rule_sets())
def test_within_shows_every_rule_inside_the_range(rules: tuple[Entry, ...]) -> None:
    shown = plan(rules, Request("show", (Mapping(A),), match="within")).matched
    assert set(shown) == {r for r in rules if inside(r.cidr, A)}
