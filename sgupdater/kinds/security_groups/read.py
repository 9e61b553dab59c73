"""Reading security-group rules: the pieces the kind, its edits and migrate share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sgupdater._types import Cidr, ContainerId, KindName
from sgupdater.cidrs import normalise
from sgupdater.kinds.common import normalise_protocol
from sgupdater.models import PortKey, Traffic

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

NAME = KindName("rule")
# The SDK service security groups (and prefix lists) are read and changed through.
SERVICE = "ec2"
# EC2 takes at most 200 values in one filter.
_FILTER_VALUES = 200


def rule_cidr(raw: Any) -> Cidr | None:
    """The CIDR a described rule allows; None for a rule referencing a list or a group."""
    text = raw.get("CidrIpv4") or raw.get("CidrIpv6")
    return normalise(text) if text else None


def rule_key(raw: Any) -> PortKey:
    """Group and traffic of a described rule."""
    protocol = normalise_protocol(str(raw.get("IpProtocol", "-1")))
    traffic = Traffic(
        "egress" if raw.get("IsEgress") else "ingress",
        protocol,
        int(raw.get("FromPort", -1)),
        int(raw.get("ToPort", -1)),
    )
    return (ContainerId(raw["GroupId"]), traffic)


def rules_of_groups(client: EC2Client, group_ids: Sequence[str], page_size: int) -> Iterator[Any]:
    """Every rule of these groups, as DescribeSecurityGroupRules returns it."""
    paginator = client.get_paginator("describe_security_group_rules")
    ordered = sorted(group_ids)
    for start in range(0, len(ordered), _FILTER_VALUES):
        pages = paginator.paginate(
            Filters=[{"Name": "group-id", "Values": ordered[start : start + _FILTER_VALUES]}],
            PaginationConfig={"PageSize": page_size},
        )
        for page in pages:
            yield from page.get("SecurityGroupRules", [])
