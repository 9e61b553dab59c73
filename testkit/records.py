"""Pipeline records built in memory, for the unit tests of the pure stages."""

from __future__ import annotations

import ipaddress

from sgupdater._types import AccountId, Direction, GroupId, Region
from sgupdater.kinds.nacls import kind as nacls
from sgupdater.kinds.prefix_lists import read as pl_read
from sgupdater.kinds.security_groups import read as sg_read
from sgupdater.models import Current, Rule, Traffic

ACCOUNT = AccountId("111111111111")
REGION = Region("eu-west-1")


def sg_rule(
    cidr: str,
    *,
    group: str = "sg-1",
    rule_id: str = "sgr-1",
    direction: Direction = "ingress",
    port: int = 22,
    description: str | None = "office",
) -> Rule:
    """A tcp security-group rule."""
    return Rule(
        kind=sg_read.NAME,
        account=ACCOUNT,
        region=REGION,
        group_id=GroupId(group),
        group_name="web",
        cidr=ipaddress.ip_network(cidr),
        rule_id=rule_id,
        traffic=Traffic(direction, "tcp", port, port),
        description=description,
        vpc_id="vpc-1",
    )


def list_entry(cidr: str, *, list_id: str = "pl-1", description: str | None = "office") -> Rule:
    """An entry of a customer-managed prefix list."""
    return pl_read.list_rule(
        list_id, "offices", (ACCOUNT, REGION), ipaddress.ip_network(cidr), description
    )


def acl_entry(cidr: str, *, acl: str = "acl-1", number: int = 100, action: str = "allow") -> Rule:
    """An inbound tcp/22 entry of a network ACL."""
    return Rule(
        kind=nacls.NAME,
        account=ACCOUNT,
        region=REGION,
        group_id=GroupId(acl),
        group_name="",
        cidr=ipaddress.ip_network(cidr),
        rule_id=str(number),
        traffic=Traffic("ingress", "tcp", 22, 22, action),
        vpc_id="vpc-1",
    )


def now(rule: Rule, cidr: str | None = None, description: str | None = None) -> Current:
    """The entry as a re-read finds it (by default exactly as recorded)."""
    return Current(
        rule.rule_id,
        rule.key,
        cidr if cidr is not None else str(rule.cidr),
        description if description is not None else rule.description,
    )
