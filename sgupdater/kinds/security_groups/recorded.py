"""Security groups as AWS Config records them (AWS::EC2::SecurityGroup), for --inventory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sgupdater._types import AccountId, ContainerId, Direction
from sgupdater.cidrs import normalise
from sgupdater.kinds.common import normalise_protocol
from sgupdater.kinds.interface import Record, Recorded
from sgupdater.kinds.security_groups.read import NAME
from sgupdater.models import Entry, Traffic
from sgupdater.scope import Scope

# awslabs/aws-config-resource-schema, AWS::EC2::SecurityGroup.properties.json: these are of
# type cidr_block. ipRanges holds the same IPv4 ranges as ipv4Ranges.cidrIp, without the
# descriptions; one of them is enough to find a group.
_PROPERTIES: tuple[tuple[str, int, Direction | None], ...] = (
    ("configuration.ipPermissions.ipv4Ranges.cidrIp", 4, "ingress"),
    ("configuration.ipPermissionsEgress.ipv4Ranges.cidrIp", 4, "egress"),
    ("configuration.ipPermissions.ipv6Ranges.cidrIpv6", 6, "ingress"),
    ("configuration.ipPermissionsEgress.ipv6Ranges.cidrIpv6", 6, "egress"),
)


def _ranges(permission: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(CIDR text, description) of a recorded permission, IPv4 then IPv6."""
    described = permission.get("ipv4Ranges")
    if described is None:
        # Older records carry the bare strings only.
        described = [{"cidrIp": text} for text in permission.get("ipRanges") or ()]
    for item in described or ():
        yield str(item.get("cidrIp", "")), item.get("description") or None
    for item in permission.get("ipv6Ranges") or ():
        yield str(item.get("cidrIpv6", "")), item.get("description") or None


def _entries(record: Record, scope: Scope) -> Iterator[Entry]:
    config = record.configuration
    group_id = str(config.get("groupId") or record.resource_id)
    if scope.group_ids and group_id not in scope.group_ids:
        return
    if scope.vpc_ids and config.get("vpcId") not in scope.vpc_ids:
        return
    tags = dict(record.tags)
    if not scope.wants(tags):
        return
    sides: tuple[tuple[str, Direction], ...] = (
        ("ipPermissions", "ingress"),
        ("ipPermissionsEgress", "egress"),
    )
    for key, direction in sides:
        for permission in config.get(key) or ():
            protocol = normalise_protocol(str(permission.get("ipProtocol", "-1")))
            low, high = int(permission.get("fromPort", -1)), int(permission.get("toPort", -1))
            for text, description in _ranges(permission):
                cidr = normalise(text)
                if cidr is None:
                    continue
                # A record names no rule ids: the live read that precedes any write finds them.
                yield Entry(
                    kind=NAME,
                    account=AccountId(str(config.get("ownerId") or record.account)),
                    region=record.region,
                    container_id=ContainerId(group_id),
                    container_name=str(config.get("groupName", "")),
                    cidr=cidr,
                    traffic=Traffic(direction, protocol, low, high),
                    description=description,
                    vpc_id=str(config.get("vpcId", "")),
                    managed=scope.managed_by(tags),
                )


RECORDED = Recorded("AWS::EC2::SecurityGroup", _PROPERTIES, _entries)
