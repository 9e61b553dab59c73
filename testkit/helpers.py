"""Seeding and reading back security groups through boto3, as an operator would see them."""

from __future__ import annotations

from typing import Any, Literal

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


def web(ec2: EC2Client, *ingress: Any) -> str:
    """A group named web, in a new VPC, with these ingress permissions; its id."""
    return group(ec2, vpc(ec2), "web", ingress=ingress)


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


def prefix_list(
    ec2: EC2Client,
    name: str,
    entries: tuple[tuple[str, str], ...],
    max_entries: int = 5,
    **tags: str,
) -> str:
    """A new customer-managed prefix list of (cidr, description) entries; its id."""
    extra: Any = {}
    if tags:
        pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
        extra["TagSpecifications"] = [{"ResourceType": "prefix-list", "Tags": pairs}]
    return ec2.create_managed_prefix_list(
        PrefixListName=name,
        MaxEntries=max_entries,
        AddressFamily="IPv4",
        Entries=[{"Cidr": c, "Description": d} for c, d in entries],
        **extra,
    )["PrefixList"]["PrefixListId"]


def entries(ec2: EC2Client, list_id: str) -> set[tuple[str, str]]:
    """A prefix list's (cidr, description) entries."""
    found = ec2.get_managed_prefix_list_entries(PrefixListId=list_id)["Entries"]
    return {(e["Cidr"], e.get("Description", "")) for e in found}


NaclView = tuple[int, bool, str, str, str, tuple[int, int] | None]


def acl(
    ec2: EC2Client,
    vpc_id: str,
    *rows: tuple[int, bool, str, Literal["allow", "deny"], str, int, int],
) -> str:
    """A new network ACL with (number, egress, protocol, action, cidr, from, to) entries."""
    acl_id = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    for number, egress, protocol, action, cidr, low, high in rows:
        ec2.create_network_acl_entry(
            NetworkAclId=acl_id,
            RuleNumber=number,
            Egress=egress,
            Protocol=protocol,
            RuleAction=action,
            CidrBlock=cidr,
            PortRange={"From": low, "To": high},
        )
    return acl_id


def acl_entries(ec2: EC2Client, acl_id: str) -> set[NaclView]:
    """(number, egress, protocol, action, cidr, ports) of the ACL's numbered entries."""
    found = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Entries"]
    return {
        (
            int(e["RuleNumber"]),
            bool(e["Egress"]),
            str(e["Protocol"]),
            e["RuleAction"],
            e.get("CidrBlock") or e.get("Ipv6CidrBlock", ""),
            (e["PortRange"]["From"], e["PortRange"]["To"]) if e.get("PortRange") else None,
        )
        for e in found
        if int(e["RuleNumber"]) < 32767
    }
