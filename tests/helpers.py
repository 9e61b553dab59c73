"""Seeding and reading back security groups through boto3, as an operator would see them."""

from __future__ import annotations

from typing import Any

from mypy_boto3_ec2 import EC2Client

RuleView = tuple[str, str, int, int, str, str]


def vpc(ec2: EC2Client, cidr: str = "10.0.0.0/16") -> str:
    """A new VPC id."""
    return ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def perm(
    protocol: str = "tcp",
    from_port: int | None = 22,
    to_port: int | None = None,
    cidrs: tuple[str, ...] = (),
    cidrs6: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    description: str | None = None,
) -> Any:
    """One IpPermission; every CIDR carries the description."""
    extra = {"Description": description} if description else {}
    permission: dict[str, Any] = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": c, **extra} for c in cidrs],
        "Ipv6Ranges": [{"CidrIpv6": c, **extra} for c in cidrs6],
        "UserIdGroupPairs": [{"GroupId": g} for g in groups],
    }
    if protocol != "-1":
        permission["FromPort"] = from_port
        permission["ToPort"] = from_port if to_port is None else to_port
    return permission


def group(
    ec2: EC2Client,
    vpc_id: str,
    name: str,
    ingress: tuple[Any, ...] = (),
    egress: tuple[Any, ...] = (),
) -> str:
    """A new security group with these permissions; its id."""
    group_id = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)["GroupId"]
    if ingress:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(ingress))
    if egress:
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=list(egress))
    return group_id


def raw_rules(ec2: EC2Client, group_id: str) -> list[Any]:
    """The group's rules as DescribeSecurityGroupRules returns them."""
    pages = ec2.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )
    return [rule for page in pages for rule in page["SecurityGroupRules"]]


def view(raw: Any) -> RuleView:
    """(direction, protocol, from, to, peer, description) of one rule."""
    peer = (
        raw.get("CidrIpv4")
        or raw.get("CidrIpv6")
        or raw.get("PrefixListId")
        or raw.get("ReferencedGroupInfo", {}).get("GroupId", "")
    )
    return (
        "egress" if raw["IsEgress"] else "ingress",
        raw["IpProtocol"],
        raw.get("FromPort", -1),
        raw.get("ToPort", -1),
        peer,
        raw.get("Description", ""),
    )


def rules(ec2: EC2Client, group_id: str) -> set[RuleView]:
    """The group's rules, without ids."""
    return {view(r) for r in raw_rules(ec2, group_id)}


def rule_ids(ec2: EC2Client, group_id: str) -> dict[RuleView, str]:
    """Each rule of the group with its id."""
    return {view(r): r["SecurityGroupRuleId"] for r in raw_rules(ec2, group_id)}


def edit_by_hand(
    ec2: EC2Client, group_id: str, rule_id: str, port: int, cidr: str, description: str
) -> None:
    """Someone else changes a tcp rule behind the tool's back."""
    ec2.modify_security_group_rules(
        GroupId=group_id,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": rule_id,
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "CidrIpv4": cidr,
                    "Description": description,
                },
            }
        ],
    )
