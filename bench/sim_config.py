"""The simulator's AWS Config: SelectAggregateResourceConfig answered from the generated fleet.

The same one query shape the local endpoint answers (testkit.config), over every account and
region of the simulated Organization: a security group is a record, and a query finds those
with a range in the property overlapping the one asked for. The fleet has ingress rules only,
so an egress query finds nothing here; in a real account every default group's egress
0.0.0.0/0 overlaps any range, and the egress query answers one record per such group.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from typing import Any

from bench import sim

TARGET = "StarlingDoveService."
_SHAPE = re.compile(
    r"SELECT (?P<fields>[\w, ]+) WHERE resourceType = '(?P<type>[\w:]+)' "
    r"AND (?P<property>[\w.]+) BETWEEN '(?P<first>[0-9a-fA-F:.]+)' AND '(?P<last>[0-9a-fA-F:.]+)'"
)
_INGRESS = {"configuration.ipPermissions.ipRanges", "configuration.ipPermissions.ipv4Ranges.cidrIp"}
# Limit: at most 100 a page (service model); 25 without it.
_MAX, _DEFAULT = 100, 25


def record(account: str, region: str) -> dict[str, Any]:
    """The first group of a target as Config records it (AWS::EC2::SecurityGroup)."""
    group = sim.groups(account, region)[0]
    rules = [r for r in sim.rules(account, region) if r["GroupId"] == group["GroupId"]]
    ranges = [{"cidrIp": r["CidrIpv4"], "description": r["Description"]} for r in rules]
    permission = {
        "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
        "ipRanges": [r["cidrIp"] for r in ranges], "ipv4Ranges": ranges, "ipv6Ranges": [],
    }  # fmt: skip
    return {
        "accountId": account, "awsRegion": region, "resourceType": "AWS::EC2::SecurityGroup",
        "resourceId": group["GroupId"], "configurationItemCaptureTime": "2026-12-01T00:00:00.000Z",
        "tags": [],
        "configuration": {
            "groupId": group["GroupId"], "groupName": group["GroupName"],
            "description": group["Description"], "vpcId": group["VpcId"], "ownerId": account,
            "ipPermissions": [permission], "ipPermissionsEgress": [],
        },
    }  # fmt: skip


@functools.lru_cache(maxsize=16)
def _found(accounts: tuple[str, ...], kind: str, prop: str, first: str, last: str) -> list[str]:
    low, high = ipaddress.ip_address(first), ipaddress.ip_address(last)
    if kind != "AWS::EC2::SecurityGroup" or prop not in _INGRESS:
        return []
    old = ipaddress.ip_network(sim.OLD)
    if low.version != old.version or not (
        int(old.network_address) <= int(high) and int(low) <= int(old.broadcast_address)
    ):
        return []
    held = [(a, r) for a in accounts for r in sim.REGIONS if sim.matches(a, r)]
    return [json.dumps(record(a, r)) for a, r in held]


def select(accounts: list[str], asked: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status and one page of an advanced query's answer (every field, asked or not)."""
    shape = _SHAPE.fullmatch(asked.get("Expression", ""))
    if shape is None:
        return 400, {"__type": "InvalidExpressionException", "message": "not answered here"}
    found = _found(tuple(accounts), shape["type"], shape["property"], shape["first"],
                   shape["last"])  # fmt: skip
    start = int(asked.get("NextToken") or 0)
    size = min(int(asked.get("Limit") or _DEFAULT), _MAX)
    page: dict[str, Any] = {"Results": found[start : start + size]}
    if start + size < len(found):
        page["NextToken"] = str(start + size)
    return 200, page
