"""A deterministic fleet of security groups, seeded straight into moto, and its check."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import boto3
from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroupRule

OLD, NEW = "192.0.2.0/24", "198.51.100.0/24"
OLD6, NEW6 = "2001:db8::/32", "2001:db9::/48"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1", "eu-north-1", "us-west-2")
ROLE = "bench"


@dataclass(frozen=True)
class Shape:
    """Accounts x regions x groups per region."""

    accounts: int
    regions: int
    groups: int

    @property
    def account_ids(self) -> list[str]:
        """Deterministic 12-digit ids."""
        return [f"{210000000000 + i:012d}" for i in range(self.accounts)]

    @property
    def region_names(self) -> list[str]:
        """The first `regions` regions."""
        return list(REGIONS[: self.regions])

    def __str__(self) -> str:
        return f"{self.accounts} accounts x {self.regions} regions x {self.groups} groups"


def _rule(
    backend: Any, group: Any, egress: bool, proto: str, port: int, cidr: str, desc: str
) -> None:
    ip_range = {"CidrIpv6" if ":" in cidr else "CidrIp": cidr}
    if desc:
        ip_range["Description"] = desc
    rule = SecurityGroupRule(
        backend, proto, group.id, str(port), str(port), ip_range, is_egress=egress
    )
    (group.add_egress_rule if egress else group.add_ingress_rule)(rule)


def seed_group(backend: Any, vpc_id: str, index: int) -> None:
    """One group; which rules it holds follows from its index, so every copy is the same.

    Of every 10 groups: 6 allow the old IPv4 range on 443 beside 10.0.0.0/8 (a multi-CIDR
    permission), 3 of those also send syslog to it (egress), 2 allow the old IPv6 range on 22,
    1 allows the old range on 443 and already the new one (a revoke, not a modify), 1 has
    nothing to change; every group keeps an unrelated rule.
    """
    # force: skip moto's linear duplicate-name scan, which makes big fleets quadratic.
    group = backend.create_security_group(f"app-{index}", "bench", vpc_id=vpc_id, force=True)
    _rule(backend, group, False, "tcp", 80, "0.0.0.0/0", "public http")
    if index % 10 < 6:
        _rule(backend, group, False, "tcp", 443, OLD, "office https")
        _rule(backend, group, False, "tcp", 443, "10.0.0.0/8", "")
    if index % 10 < 3:
        _rule(backend, group, True, "udp", 514, OLD, "syslog to office")
    if index % 10 in (6, 7):
        _rule(backend, group, False, "tcp", 22, OLD6, "office ssh v6")
    if index % 10 == 9:
        _rule(backend, group, False, "tcp", 443, OLD, "office https")
        _rule(backend, group, False, "tcp", 443, NEW, "new office")


def seed(shape: Shape) -> None:
    """Fill moto, in this process, with the fleet."""
    for account in shape.account_ids:
        for region in shape.region_names:
            backend = ec2_backends[account][region]
            vpc = backend.create_vpc("10.0.0.0/16")
            for index in range(shape.groups):
                seed_group(backend, vpc.id, index)


def _network(text: str | None) -> Any:
    return ipaddress.ip_network(text) if text else None


def _expected(group_id: str, index: int) -> list[tuple[tuple[Any, ...], str]]:
    """The rules app-<index> must hold after the update, with their descriptions."""
    expected = []
    if index % 10 < 6:
        expected.append(((group_id, False, "tcp", 443, NEW), "office https"))
    if index % 10 < 3:
        expected.append(((group_id, True, "udp", 514, NEW), "syslog to office"))
    if index % 10 in (6, 7):
        expected.append(((group_id, False, "tcp", 22, NEW6), "office ssh v6"))
    if index % 10 == 9:
        expected.append(((group_id, False, "tcp", 443, NEW), "new office"))
    expected.append(((group_id, False, "tcp", 80, "0.0.0.0/0"), "public http"))
    return expected


def check(shape: Shape, moto_url: str, *, descriptions: bool) -> list[str]:
    """What is wrong with the fleet after an update (empty: it is right), read through boto3."""
    problems: list[str] = []
    old, old6 = ipaddress.ip_network(OLD), ipaddress.ip_network(OLD6)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_url)
    for account in shape.account_ids:
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="check"
        )
        for region in shape.region_names:
            ec2 = boto3.client(
                "ec2",
                region_name=region,
                endpoint_url=moto_url,
                aws_access_key_id=creds["Credentials"]["AccessKeyId"],
                aws_secret_access_key=creds["Credentials"]["SecretAccessKey"],
                aws_session_token=creds["Credentials"]["SessionToken"],
            )
            pages = ec2.get_paginator("describe_security_group_rules").paginate()
            rules = [r for page in pages for r in page["SecurityGroupRules"]]
            names = {
                g["GroupId"]: g["GroupName"]
                for page in ec2.get_paginator("describe_security_groups").paginate()
                for g in page["SecurityGroups"]
            }
            seen: dict[tuple[Any, ...], str] = {}
            for r in rules:
                cidr = _network(r.get("CidrIpv4") or r.get("CidrIpv6"))
                key = (
                    r["GroupId"],
                    r["IsEgress"],
                    r["IpProtocol"],
                    r.get("FromPort"),
                    str(cidr),
                )
                seen[key] = r.get("Description", "")
                if cidr in (old, old6):
                    problems.append(f"{account}/{region} {r['GroupId']}: still allows {cidr}")
            for group_id, name in names.items():
                if not name.startswith("app-"):
                    continue
                for key, description in _expected(group_id, int(name[4:])):
                    if key not in seen:
                        problems.append(f"{account}/{region} {name}: missing {key[2:]}")
                    elif descriptions and seen[key] != description:
                        problems.append(f"{account}/{region} {name}: description of {key[2:]} lost")
    return problems
