"""--inventory without a server: the queries written, the answers read, the entries kept."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from sgupdater import kinds
from sgupdater._types import AccountId, Region
from sgupdater.cidrs import Mapping
from sgupdater.engine import inventory
from sgupdater.engine.planner import Request
from sgupdater.errors import InputError
from sgupdater.kinds.interface import Record
from sgupdater.scope import Scope

V4 = ipaddress.ip_network("192.0.2.0/24")
V6 = ipaddress.ip_network("2001:db8::/32")
RECORDED = [k for k in kinds.KINDS if k.recorded is not None]


def test_one_query_per_property_and_range_of_the_same_family() -> None:
    found = inventory.queries(RECORDED, [V4])
    expressions = [q.expression for q in found]
    # IPv4 properties of groups (in, out), ACLs, and the prefix list's either-family one.
    assert len(found) == 4
    assert all(e.endswith("BETWEEN '192.0.2.0' AND '192.0.2.255'") for e in expressions)
    assert all(len(e) <= inventory.MAX_EXPRESSION for e in expressions)
    assert (
        "resourceType = 'AWS::EC2::SecurityGroup' AND configuration.ipPermissionsEgress"
        in (expressions[1])
    )
    six = inventory.queries(RECORDED, [V6])
    assert all("'2001:db8::' AND '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'" in q.expression
               for q in six)  # fmt: skip
    assert {q.kind for q in six} == {"rule", "nacl", "prefix-list"}
    # --direction ingress: the groups' egress query (every default group's 0.0.0.0/0) is left.
    ingress = inventory.queries(RECORDED, [V4], frozenset({"ingress"}))
    assert len(ingress) == 3
    assert not any("Egress" in q.expression for q in ingress)


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("config:org", inventory.Source("org")),
        ("config:org-1_x@eu-west-1", inventory.Source("org-1_x", "eu-west-1")),
    ],
)
def test_an_aggregator_is_named_with_its_region_or_none(
    text: str, source: inventory.Source
) -> None:
    assert inventory.parse(text) == source
    assert str(source) == text


@pytest.mark.parametrize(
    "text", ["org", "config:", "config:a b", "config:o@x", "config:" + "a" * 257]
)
def test_anything_else_is_bad_input(text: str) -> None:
    with pytest.raises(InputError):
        inventory.parse(text)


def test_answers_are_read_whatever_the_spelling_of_their_tags_and_configuration() -> None:
    answer = {
        "accountId": "111111111111",
        "awsRegion": "eu-west-1",
        "resourceId": "sg-1",
        "configurationItemCaptureTime": "2026-12-02T05:00:00.000Z",
        "configuration": json.dumps({"groupId": "sg-1"}),
        "tags": [{"key": "team", "value": "web", "tag": "team=web"}],
    }
    record = inventory.record_of(json.dumps(answer))
    assert record is not None
    assert record.configuration == {"groupId": "sg-1"}
    assert record.tags == {"team": "web"}
    assert inventory.record_of(json.dumps({"resourceId": "sg-1"})) is None
    assert inventory.record_of("not json") is None


def test_what_holds_the_range_follows_the_match() -> None:
    exact = Request("update", (Mapping(V4, ipaddress.ip_network("198.51.100.0/24")),))
    asked = inventory.Asked(tuple(RECORDED), exact.ranges(), exact.relevant, Scope())
    assert asked.holds(V4)
    assert not asked.holds(ipaddress.ip_network("192.0.2.0/25"))
    assert not asked.holds(ipaddress.ip_network("0.0.0.0/0"))
    within = Request("show", (Mapping(V4, None),), match="within")
    inside = inventory.Asked(tuple(RECORDED), within.ranges(), within.relevant, Scope())
    assert inside.holds(ipaddress.ip_network("192.0.2.128/25"))
    assert not inside.holds(ipaddress.ip_network("192.0.0.0/16"))


def _record(configuration: dict[str, Any], tags: dict[str, str] | None = None) -> Record:
    return Record(AccountId("111111111111"), Region("eu-west-1"), "id-1", configuration,
                  tags or {})  # fmt: skip


def test_a_recorded_group_gives_its_rules_in_both_directions_with_descriptions() -> None:
    group = {
        "groupId": "sg-1", "groupName": "web", "vpcId": "vpc-1", "ownerId": "111111111111",
        "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                           "ipv4Ranges": [{"cidrIp": "192.0.2.0/24", "description": "office"}]}],
        "ipPermissionsEgress": [{"ipProtocol": "-1", "ipRanges": ["0.0.0.0/0"],
                                 "ipv6Ranges": [{"cidrIpv6": "::/0"}]}],
    }  # fmt: skip
    recorded = kinds.get("rule").recorded
    assert recorded is not None
    entries = list(
        recorded.entries(_record(group, {"aws:cloudformation:stack-name": "s"}), Scope())
    )
    assert [(e.direction, str(e.cidr), e.description) for e in entries] == [
        ("ingress", "192.0.2.0/24", "office"),
        ("egress", "0.0.0.0/0", None),
        ("egress", "::/0", None),
    ]
    assert entries[0].traffic is not None
    assert entries[0].traffic.from_port == 22
    assert entries[0].managed == "cloudformation:s"
    assert not list(recorded.entries(_record(group), Scope(group_ids=frozenset({"sg-2"}))))


def test_a_recorded_acl_and_list_give_their_entries_and_leave_what_cannot_change() -> None:
    acl = {"networkAclId": "acl-1", "vpcId": "vpc-1", "entries": [
        {"ruleNumber": 100, "protocol": "6", "ruleAction": "deny", "egress": False,
         "cidrBlock": "192.0.2.0/24", "portRange": {"from": 22, "to": 22}},
        {"ruleNumber": 32767, "protocol": "-1", "ruleAction": "deny", "egress": False,
         "cidrBlock": "0.0.0.0/0"},
    ]}  # fmt: skip
    recorded = kinds.get("nacl").recorded
    assert recorded is not None
    [entry] = recorded.entries(_record(acl), Scope())
    assert (entry.entry_id, str(entry.cidr)) == ("100", "192.0.2.0/24")
    assert entry.traffic is not None
    assert entry.traffic.action == "deny"
    listed = kinds.get("prefix-list").recorded
    assert listed is not None
    mine = {
        "PrefixListId": "pl-1",
        "OwnerId": "111111111111",
        "Entries": [{"Cidr": "192.0.2.0/24"}],
    }
    assert [str(e.cidr) for e in listed.entries(_record(mine), Scope())] == ["192.0.2.0/24"]
    assert not list(listed.entries(_record({**mine, "OwnerId": "AWS"}), Scope()))
