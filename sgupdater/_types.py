"""Identifier types and closed string sets shared by every stage."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Literal, NewType

AccountId = NewType("AccountId", str)
GroupId = NewType("GroupId", str)
RuleId = NewType("RuleId", str)
Region = NewType("Region", str)

Cidr = IPv4Network | IPv6Network
Direction = Literal["ingress", "egress"]
Action = Literal["modify", "authorize", "revoke"]
