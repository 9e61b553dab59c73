"""Network ACLs in the local EC2: entries keep ICMP type and code; describes page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.responses.network_acls import NetworkACLs

from testkit.paging import paginated


def _acl_entry(call: str) -> Callable[[Any], ActionResult]:
    """Create/ReplaceNetworkAclEntry keeping the ICMP type and code.

    NOTE: moto 5.2 reads `Icmp.Code`/`Icmp.Type`, which its own parser never fills (the
    parameter arrives as IcmpTypeCode), so ICMP entries lose their type and code.
    """

    def handler(self: Any) -> ActionResult:
        icmp = self._get_param("IcmpTypeCode") or {}
        span = self._get_param("PortRange") or {}
        getattr(self.ec2_backend, call)(
            network_acl_id=self._get_param("NetworkAclId"),
            rule_number=self._get_param("RuleNumber"),
            protocol=self._get_param("Protocol"),
            rule_action=self._get_param("RuleAction"),
            egress=self._get_param("Egress"),
            cidr_block=self._get_param("CidrBlock"),
            icmp_code=icmp.get("Code"),
            icmp_type=icmp.get("Type"),
            port_range_from=span.get("From"),
            port_range_to=span.get("To"),
            ipv6_cidr_block=self._get_param("Ipv6CidrBlock"),
        )
        return EmptyResult()

    return handler


PATCHES: list[tuple[type, str, Callable[..., Any]]] = [
    (NetworkACLs, "create_network_acl_entry", _acl_entry("create_network_acl_entry")),
    (NetworkACLs, "replace_network_acl_entry", _acl_entry("replace_network_acl_entry")),
    # NOTE: moto 5.2 ignores MaxResults/NextToken on DescribeNetworkAcls.
    (
        NetworkACLs,
        "describe_network_acls",
        paginated(NetworkACLs.describe_network_acls, "NetworkAcls"),
    ),
]
