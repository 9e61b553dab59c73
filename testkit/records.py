"""Pipeline records built in memory, for the unit tests of the pure stages."""

from __future__ import annotations

import ipaddress

from sgupdater._types import AccountId, ContainerId, Direction, Region
from sgupdater.kinds.nacls import kind as nacls
from sgupdater.kinds.prefix_lists import read as pl_read
from sgupdater.kinds.security_groups import read as sg_read
from sgupdater.models import Current, Entry, Traffic

ACCOUNT = AccountId("111111111111")
REGION = Region("eu-west-1")


def sg_rule(
    cidr: str,
    *,
    group: str = "sg-1",
    entry_id: str = "sgr-1",
    direction: Direction = "ingress",
    port: int = 22,
    description: str | None = "office",
) -> Entry:
    """A tcp security-group rule."""
    return Entry(
        kind=sg_read.NAME,
        account=ACCOUNT,
        region=REGION,
        container_id=ContainerId(group),
        container_name="web",
        cidr=ipaddress.ip_network(cidr),
        entry_id=entry_id,
        traffic=Traffic(direction, "tcp", port, port),
        description=description,
        vpc_id="vpc-1",
    )


def list_entry(cidr: str, *, list_id: str = "pl-1", description: str | None = "office") -> Entry:
    """An entry of a customer-managed prefix list."""
    return pl_read.list_rule(
        list_id, "offices", (ACCOUNT, REGION), ipaddress.ip_network(cidr), description
    )


def acl_entry(cidr: str, *, acl: str = "acl-1", number: int = 100, action: str = "allow") -> Entry:
    """An inbound tcp/22 entry of a network ACL."""
    return Entry(
        kind=nacls.NAME,
        account=ACCOUNT,
        region=REGION,
        container_id=ContainerId(acl),
        container_name="",
        cidr=ipaddress.ip_network(cidr),
        entry_id=str(number),
        traffic=Traffic("ingress", "tcp", 22, 22, action),
        vpc_id="vpc-1",
    )


def now(rule: Entry, cidr: str | None = None, description: str | None = None) -> Current:
    """The entry as a re-read finds it (by default exactly as recorded)."""
    return Current(
        rule.entry_id,
        rule.key,
        cidr if cidr is not None else str(rule.cidr),
        description if description is not None else rule.description,
    )
