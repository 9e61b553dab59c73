"""The local EC2: moto 5.2, made to behave like real EC2 where sgupdater depends on it.

Each shim is installed in-process before ThreadedMotoServer starts; the server then serves the
patched behaviour over HTTP like any other. Remove a shim once moto fixes the gap.
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import urllib.request
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidGroupIdMalformedError,
    InvalidParameterValue,
    InvalidPermissionDuplicateError,
    InvalidSecurityGroupNotFoundError,
    InvalidSecurityGroupRuleIdNotFoundError,
)
from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend
from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupBackend
from moto.ec2.responses.network_acls import NetworkACLs
from moto.ec2.responses.security_groups import SecurityGroups
from moto.ec2.utils import is_valid_security_group_id
from moto.server import ThreadedMotoServer

_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


def _signature(rule: Any) -> tuple[Any, ...]:
    protocol = _PROTOCOLS.get(str(rule.ip_protocol).lower(), str(rule.ip_protocol).lower())
    ports = (None, None) if protocol == "-1" else (rule.from_port, rule.to_port)
    return (
        protocol,
        *ports,
        rule.ip_range.get("CidrIp"),
        rule.ip_range.get("CidrIpv6"),
        tuple(sorted(rule.source_group.items())),
        rule.prefix_list_id,
    )


def _staged(existing: Any, rule_id: str, new: dict[str, Any]) -> dict[str, Any]:
    """What one rule of a ModifySecurityGroupRules call becomes, not yet applied."""
    v4, v6 = new.get("CidrIpv4"), new.get("CidrIpv6")
    if (v4 and "CidrIpv6" in existing.ip_range) or (v6 and "CidrIp" in existing.ip_range):
        raise InvalidParameterValue(
            f"Invalid rule type for security group rule '{rule_id}'. "
            "You may not change the IP family of an existing rule."
        )
    protocol = str(new.get("IpProtocol"))
    protocol = _PROTOCOLS.get(protocol.lower(), protocol.lower())
    ports = (None, None) if protocol == "-1" else (new["FromPort"], new["ToPort"])
    ip_range = {"CidrIp": v4} if v4 else {"CidrIpv6": v6} if v6 else {}
    if new.get("Description") is not None:
        ip_range["Description"] = new["Description"]
    # UNVERIFIED against EC2 and known wrong (issue 11): EC2 refuses to change a rule's type.
    return {
        "ip_protocol": protocol,
        "ports": ports,
        "ip_range": ip_range,
        "prefix_list_id": new.get("PrefixListId"),
    }


def _modify_security_group_rules(
    self: Any, group_id: str, rules: dict[str, dict[str, Any]]
) -> None:
    """ModifySecurityGroupRules as EC2 does it: all-or-nothing, IPv6 too, no duplicates.

    NOTE: moto 5.2 ignores CidrIpv6, applies rule by rule, and accepts a change that makes a
    rule equal to another of the group (EC2 answers InvalidPermission.Duplicate).
    """
    group = self.get_security_group_by_name_or_id(group_id)
    if group is None:
        raise InvalidSecurityGroupNotFoundError(group_id)
    staged: list[tuple[Any, dict[str, Any]]] = []
    for rule_id, new in rules.items():
        existing = group.get_rule(rule_id)
        if existing is None:
            raise InvalidSecurityGroupRuleIdNotFoundError(rule_id)
        staged.append((existing, _staged(existing, rule_id, new)))
    originals = [
        (r, r.ip_protocol, r.from_port, r.to_port, r.ip_range, r.prefix_list_id) for r, _ in staged
    ]
    for rule, change in staged:
        rule.ip_protocol = change["ip_protocol"]
        rule.from_port, rule.to_port = change["ports"]
        rule.ip_range = change["ip_range"]
        rule.prefix_list_id = change["prefix_list_id"]
    for rules_of_direction in (group.ingress_rules, group.egress_rules):
        signatures = [_signature(r) for r in rules_of_direction]
        if len(set(signatures)) != len(signatures):
            for rule, protocol, from_port, to_port, ip_range, listed in originals:
                rule.ip_protocol, rule.from_port, rule.to_port = protocol, from_port, to_port
                rule.ip_range, rule.prefix_list_id = ip_range, listed
            raise InvalidPermissionDuplicateError()


def _describe_security_group_rules(self: Any) -> ActionResult:
    """DescribeSecurityGroupRules with MaxResults/NextToken, copying only the page it returns.

    NOTE: moto 5.2 ignores MaxResults/NextToken here and copies every rule of the region on
    each call, which makes a 50,000-group account take minutes to page through.
    """
    backend = self.ec2_backend
    asked = set(self._get_param("SecurityGroupRuleIds", []))
    wanted_ids = set(asked)
    filters = self._filters_from_querystring()
    group_ids = set(filters.get("group-id", []))
    for group_id in group_ids:
        if not is_valid_security_group_id(group_id):
            raise InvalidGroupIdMalformedError(group_id)
    wanted_ids |= set(filters.get("security-group-rule-id", []))
    rules = [
        rule
        for by_id in backend.groups.values()
        for group in by_id.values()
        if not group_ids or group.id in group_ids
        for rule in itertools.chain(group.egress_rules, group.ingress_rules)
        if not wanted_ids or rule.id in wanted_ids
    ]
    missing = asked - {rule.id for rule in rules}
    if missing:
        raise InvalidSecurityGroupRuleIdNotFoundError(sorted(missing)[0])
    limit = self._get_int_param("MaxResults") or len(rules) or 1
    start = int(self._get_param("NextToken") or 0)
    page = [copy.copy(rule) for rule in rules[start : start + limit]]
    for rule in page:
        # EC2 reports -1 for the ports of all-traffic rules, which moto stores as None.
        rule.from_port = -1 if rule.from_port is None else rule.from_port
        rule.to_port = -1 if rule.to_port is None else rule.to_port
    result: dict[str, Any] = {"SecurityGroupRules": page}
    if start + limit < len(rules):
        result["NextToken"] = str(start + limit)
    return ActionResult(result)


def _paginated(handler: Callable[[Any], ActionResult], key: str) -> Callable[[Any], ActionResult]:
    """Honour MaxResults/NextToken, which moto 5.2 ignores on the security-group describes."""

    @functools.wraps(handler)
    def paginated(self: Any) -> ActionResult:
        result = handler(self)
        limit = self._get_int_param("MaxResults")
        if not limit:
            return result
        items = result.result[key]  # type: ignore[index]  # moto builds a dict here
        start = int(self._get_param("NextToken") or 0)
        page: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            page["NextToken"] = str(start + limit)
        return ActionResult(page)

    return paginated


def _filter(direction: str, field: str) -> Callable[[Any, list[Any]], bool]:
    """One describe_security_groups filter moto 5.2 answers with HTTP 500 (not implemented)."""

    def matches(self: Any, values: list[Any]) -> bool:
        rules = self.ingress_rules if direction == "ingress" else self.egress_rules
        if field == "PrefixListId":
            present = {r.prefix_list_id for r in rules}
        else:
            present = {r.ip_range.get(field) for r in rules}
        return any(value in present for value in values)

    return matches


def _modify_managed_prefix_list(
    self: Any,
    add_entry: list[dict[str, str]],
    remove_entry: list[dict[str, str]],
    prefix_list_id: str | None = None,
    current_version: int | None = None,
    prefix_list_name: str | None = None,
) -> Any:
    """ModifyManagedPrefixList as EC2 does it: CurrentVersion, MaxEntries, entries checked.

    NOTE: moto 5.2 ignores CurrentVersion and MaxEntries, accepts removing an absent entry or
    adding a present one, and forgets the list's name when the call does not repeat it.
    """
    pl = self.managed_prefix_lists.get(prefix_list_id)
    if pl is None or pl.owner_id == "AWS":
        raise EC2ClientError(
            "InvalidPrefixListID.NotFound", f"The prefix list ID '{prefix_list_id}' does not exist"
        )
    if current_version is not None and int(current_version) != pl.version:
        raise EC2ClientError(
            "PrefixListVersionMismatch", "The prefix list has the incorrect version number."
        )
    entries = list(pl.entries.get(pl.version, []))
    present = {e["Cidr"] for e in entries}
    for entry in remove_entry:
        if entry["Cidr"] not in present:
            raise EC2ClientError(
                "InvalidPrefixListModification", f"The entry {entry['Cidr']} does not exist."
            )
    removing = {e["Cidr"] for e in remove_entry}
    for entry in add_entry:
        if entry["Cidr"] in present - removing:
            raise EC2ClientError(
                "InvalidPrefixListModification",
                f"An entry with the CIDR ({entry['Cidr']}) already exists.",
            )
    kept = [e for e in entries if e["Cidr"] not in removing] + list(add_entry)
    if pl.max_entries and len(kept) > int(pl.max_entries):
        raise EC2ClientError(
            "PrefixListMaxEntriesExceeded",
            f"The prefix list has exceeded the maximum number of entries ({pl.max_entries}).",
        )
    if remove_entry or add_entry:
        pl.version += 1
        pl.entries[pl.version] = kept
    if prefix_list_name:
        pl.prefix_list_name = prefix_list_name
    pl.state = "modify-complete"
    return pl


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


_installed = False


def install() -> None:
    """Patch moto in this process; idempotent."""
    global _installed
    if _installed:
        return
    patches: list[tuple[type, str, Callable[..., Any]]] = [
        (SecurityGroupBackend, "modify_security_group_rules", _modify_security_group_rules)
    ]
    patches.append(
        (
            SecurityGroups,
            "describe_security_groups",
            _paginated(SecurityGroups.describe_security_groups, "SecurityGroups"),
        )
    )
    patches.append(
        (SecurityGroups, "describe_security_group_rules", _describe_security_group_rules)
    )
    patches.append(
        (ManagedPrefixListBackend, "modify_managed_prefix_list", _modify_managed_prefix_list)
    )
    for call in ("create_network_acl_entry", "replace_network_acl_entry"):
        patches.append((NetworkACLs, call, _acl_entry(call)))
    for prefix, direction in (("", "ingress"), ("egress__", "egress")):
        for suffix, field in (("ipv6_cidr", "CidrIpv6"), ("prefix_list_id", "PrefixListId")):
            name = f"filter_{prefix}ip_permission__{suffix}"
            patches.append((SecurityGroup, name, _filter(direction, field)))
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    _installed = True


class LocalServer:
    """moto with these shims on a free port of 127.0.0.1, for tests, the demo and benchmarks."""

    def __init__(self) -> None:
        install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> LocalServer:
        """Start serving; `url` then names the endpoint."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def reset(self) -> None:
        """Forget every resource: each test starts from empty accounts."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request) as answer:
            if answer.status != 200:
                raise RuntimeError(f"moto reset answered {answer.status}")

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()
