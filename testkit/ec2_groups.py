"""Security groups in the local EC2: rule edits, quotas and describes as EC2 has them."""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import (
    InvalidGroupIdMalformedError,
    InvalidParameterValue,
    InvalidPermissionDuplicateError,
    InvalidSecurityGroupNotFoundError,
    InvalidSecurityGroupRuleIdNotFoundError,
    RulesPerSecurityGroupLimitExceededError,
)
from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupBackend
from moto.ec2.responses.security_groups import SecurityGroups
from moto.ec2.utils import is_valid_security_group_id

from testkit.paging import paginated

RULE_TYPES = ("CidrIpv4", "CidrIpv6", "PrefixListId", "ReferencedGroupId")
# EC2's default quota of rules per group, direction and IP family (VPC quotas).
RULES_QUOTA = 60
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


def rule_type(rule: Any) -> str:
    """Which of the four rule types a stored rule is."""
    if rule.ip_range.get("CidrIp"):
        return "CidrIpv4"
    if rule.ip_range.get("CidrIpv6"):
        return "CidrIpv6"
    return "PrefixListId" if rule.prefix_list_id else "ReferencedGroupId"


def _staged(existing: Any, rule_id: str, new: dict[str, Any]) -> dict[str, Any]:
    """What one rule of a ModifySecurityGroupRules call becomes, not yet applied."""
    # SecurityGroupRuleRequest: "You must specify exactly one of the following parameters,
    # based on the rule type: CidrIpv4, CidrIpv6, PrefixListId, ReferencedGroupId" and "When
    # you modify a rule, you cannot change the rule type. For example, if the rule uses an IPv4
    # address range, you must use CidrIpv4 to specify a new IPv4 address range."
    # The error code and message are UNVERIFIED.
    given = [field for field in RULE_TYPES if new.get(field)]
    if len(given) != 1:
        raise InvalidParameterValue(
            f"Security group rule '{rule_id}': specify exactly one of {', '.join(RULE_TYPES)}"
        )
    if given[0] != rule_type(existing):
        raise InvalidParameterValue(
            f"Invalid rule type for security group rule '{rule_id}': it is a "
            f"{rule_type(existing)} rule and cannot become a {given[0]} rule."
        )
    v4, v6 = new.get("CidrIpv4"), new.get("CidrIpv6")
    protocol = str(new.get("IpProtocol"))
    protocol = _PROTOCOLS.get(protocol.lower(), protocol.lower())
    ports = (None, None) if protocol == "-1" else (new["FromPort"], new["ToPort"])
    ip_range = {"CidrIp": v4} if v4 else {"CidrIpv6": v6} if v6 else {}
    if new.get("Description") is not None:
        ip_range["Description"] = new["Description"]
    return {
        "ip_protocol": protocol,
        "ports": ports,
        "ip_range": ip_range,
        "prefix_list_id": new.get("PrefixListId"),
    }


# UNVERIFIED: the API reference does not say whether EC2 applies a multi-rule
# ModifySecurityGroupRules all-or-nothing. The local EC2 answers either way (multi_rule), so the
# tool is tested against both: it must read what is true after a refused call, not assume.
_multi: dict[str, Any] = {"partial": False, "refuse_at": []}


def multi_rule(*, partial: bool) -> None:
    """Answer a multi-rule modify all-or-nothing (False, the default) or rule by rule (True)."""
    _multi["partial"] = partial


def refuse_rule_of_next_modify(position: int) -> None:
    """Have the next multi-rule modify refuse its rule at this position (0-based)."""
    _multi["refuse_at"].append(position)


def reset() -> None:
    """Back to all-or-nothing, with no refusal scripted."""
    _multi.update(partial=False, refuse_at=[])


def _modify_security_group_rules(
    self: Any, group_id: str, rules: dict[str, dict[str, Any]]
) -> None:
    """ModifySecurityGroupRules: all-or-nothing (or rule by rule), IPv6 too, no duplicates.

    NOTE: moto 5.2 ignores CidrIpv6, applies rule by rule, and accepts a change that makes a
    rule equal to another of the group (EC2 answers InvalidPermission.Duplicate).
    """
    group = self.get_security_group_by_name_or_id(group_id)
    if group is None:
        raise InvalidSecurityGroupNotFoundError(group_id)
    refuse = _multi["refuse_at"].pop(0) if _multi["refuse_at"] and len(rules) > 1 else None
    if refuse is not None and _multi["partial"]:
        # Entry by rule: the rules before the refused one stay changed.
        kept = dict(list(rules.items())[:refuse])
        if kept:
            _modify_security_group_rules(self, group_id, kept)
    if refuse is not None:
        raise InvalidParameterValue(f"rule {list(rules)[refuse]} refused (scripted)")
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


def _weight(backend: Any, list_id: str) -> tuple[str, int]:
    # VPC quotas: "if you create a prefix list with 20 maximum entries and you reference that
    # prefix list in a security group rule, this counts as 20 security group rules."
    found = backend.managed_prefix_lists.get(list_id)
    if found is None:
        return "IPv4", 1
    return str(found.address_family or "IPv4"), int(found.max_entries or 1)


def _units(backend: Any, rules: list[Any], calls: list[dict[str, Any]]) -> Counter[str]:
    """Entry units per IP family: the group's rules of one direction and the ones being added."""
    units: Counter[str] = Counter()
    for rule in rules:
        kind = rule_type(rule)
        if kind == "PrefixListId":
            family, weight = _weight(backend, rule.prefix_list_id)
            units[family] += weight
        else:
            # UNVERIFIED: which family a rule referencing a group counts in; IPv4 here.
            units["IPv6" if kind == "CidrIpv6" else "IPv4"] += 1
    for call in calls:
        for ip_range in call.get("ip_ranges") or []:
            units["IPv6" if ip_range.get("CidrIpv6") else "IPv4"] += 1
        for listed in call.get("prefix_list_ids") or []:
            family, weight = _weight(backend, listed.get("PrefixListId", ""))
            units[family] += weight
        units["IPv4"] += len(call.get("source_groups") or [])
    return units


def _describe_references(rules: list[Any], listed: list[dict[str, str]]) -> None:
    """NOTE: moto 5.2 drops the Description of a rule that references a prefix list."""
    said = {item.get("PrefixListId"): item.get("Description") for item in listed}
    for rule in rules:
        if rule.prefix_list_id and said.get(rule.prefix_list_id):
            rule.ip_range = {"Description": said[rule.prefix_list_id]}


def _authorize(direction: str) -> Callable[[Any], ActionResult]:
    """Authorize every permission of one call, or none; answer with all the rules made.

    NOTE: moto 5.2 answers with the last permission's rules only, keeps the permissions added
    before one that fails, and counts the rules quota over both IP families. The VPC quotas
    count "inbound or outbound rules per security group" (60 by default) for IPv4 and IPv6
    rules separately, and a prefix-list reference as the list's MaxEntries. UNVERIFIED: that
    EC2 adds none of a call's permissions when one is refused (observed, not documented).
    """

    def handler(self: Any) -> ActionResult:
        self.error_on_dryrun()
        backend = self.ec2_backend
        calls = list(self._process_rules_from_querystring())
        group = backend.get_security_group_by_name_or_id(calls[0]["group_name_or_id"])
        if group is None:
            raise InvalidSecurityGroupNotFoundError(calls[0]["group_name_or_id"])
        held = group.ingress_rules if direction == "ingress" else group.egress_rules
        if any(n > RULES_QUOTA for n in _units(backend, held, calls).values()):
            raise RulesPerSecurityGroupLimitExceededError
        before = list(held)
        added: list[Any] = []
        try:
            for call in calls:
                made = getattr(backend, f"authorize_security_group_{direction}")(**call)[0]
                _describe_references(made, call.get("prefix_list_ids") or [])
                added += made
        except Exception:
            held[:] = before
            raise
        return ActionResult({"Return": True, "SecurityGroupRules": added})

    return handler


def _no_combined_quota(*args: Any, **kwargs: Any) -> None:
    """moto's own check counts both IP families together; _authorize counts them apart."""


PATCHES: list[tuple[type, str, Callable[..., Any]]] = [
    (SecurityGroupBackend, "modify_security_group_rules", _modify_security_group_rules),
    (SecurityGroupBackend, "_verify_group_will_respect_rule_count_limit", _no_combined_quota),
    (SecurityGroups, "authorize_security_group_ingress", _authorize("ingress")),
    (SecurityGroups, "authorize_security_group_egress", _authorize("egress")),
    # NOTE: moto 5.2 ignores MaxResults/NextToken on DescribeSecurityGroups.
    (
        SecurityGroups,
        "describe_security_groups",
        paginated(SecurityGroups.describe_security_groups, "SecurityGroups"),
    ),
    (SecurityGroups, "describe_security_group_rules", _describe_security_group_rules),
    *(
        (SecurityGroup, f"filter_{prefix}ip_permission__{suffix}", _filter(direction, field))
        for prefix, direction in (("", "ingress"), ("egress__", "egress"))
        for suffix, field in (("ipv6_cidr", "CidrIpv6"), ("prefix_list_id", "PrefixListId"))
    ),
]
