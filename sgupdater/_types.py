"""Identifier types and closed string sets shared by every stage."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Literal, NewType

AccountId = NewType("AccountId", str)
ContainerId = NewType("ContainerId", str)
EntryId = NewType("EntryId", str)
Region = NewType("Region", str)

Cidr = IPv4Network | IPv6Network
Direction = Literal["ingress", "egress"]
# Both directions: what a run looks at unless --direction narrows it.
BOTH: frozenset[Direction] = frozenset(("ingress", "egress"))
# create and delete apply to prefix lists only (migrate, and its rollback).
Action = Literal["modify", "authorize", "revoke", "create", "delete"]
# The name of a kind of CIDR holder, as plans, journals and outputs spell it (see kinds/).
KindName = NewType("KindName", str)
