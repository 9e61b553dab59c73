"""Changing one security group's rules: modify in one call, authorize, then revoke."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sgupdater._types import Direction, RuleId
from sgupdater.models import Change, Outcome, Skipped, Traffic
from sgupdater.sending import Batch, Indexed, Sender

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

DIRECTIONS: tuple[Direction, ...] = ("ingress", "egress")


def traffic_of(change: Change) -> Traffic:
    """A rule's traffic; every security-group rule has one."""
    traffic = change.rule.traffic
    if traffic is None:
        raise ValueError(f"rule {change.rule.rule_id} has no direction, protocol or ports")
    return traffic


def _cidr_fields(change: Change) -> dict[str, str]:
    if change.prefix_list is not None:
        return {"PrefixListId": change.prefix_list.id}
    cidr = change.new_cidr if change.new_cidr is not None else change.rule.cidr
    return {"CidrIpv4" if cidr.version == 4 else "CidrIpv6": str(cidr)}


def _modify_request(change: Change) -> Any:
    rule, traffic = change.rule, traffic_of(change)
    # The call replaces the whole rule: every field is sent, or it would be lost.
    request: dict[str, Any] = {
        "IpProtocol": traffic.protocol,
        "FromPort": traffic.from_port,
        "ToPort": traffic.to_port,
        **_cidr_fields(change),
    }
    if rule.description:
        request["Description"] = rule.description
    return {"SecurityGroupRuleId": rule.rule_id, "SecurityGroupRule": request}


def _permission(change: Change) -> Any:
    rule, traffic, new = change.rule, traffic_of(change), change.new_cidr
    if new is None:
        raise ValueError("an authorize names the CIDR it allows")
    entry: dict[str, str] = {"CidrIp" if new.version == 4 else "CidrIpv6": str(new)}
    if rule.description:
        entry["Description"] = rule.description
    ranges = "IpRanges" if new.version == 4 else "Ipv6Ranges"
    permission: dict[str, Any] = {"IpProtocol": traffic.protocol, ranges: [entry]}
    if traffic.protocol != "-1":
        permission["FromPort"] = traffic.from_port
        permission["ToPort"] = traffic.to_port
    return permission


def _new_rule_ids(response: Any, batch: Indexed) -> dict[int, str]:
    created: dict[tuple[str, str], str] = {}
    for raw in response.get("SecurityGroupRules", []):
        cidr = raw.get("CidrIpv4") or raw.get("CidrIpv6") or ""
        created[(str(raw.get("IpProtocol")), cidr)] = RuleId(raw["SecurityGroupRuleId"])
    ids: dict[int, str] = {}
    for index, change in batch:
        found = created.get((traffic_of(change).protocol, str(change.new_cidr)))
        if found is not None:
            ids[index] = found
    return ids


def _quota_hint(code: str) -> str:
    if code != "RulesPerSecurityGroupLimitExceeded":
        return ""
    return (
        " (the group is at its rules quota: --strategy modify, the default,"
        " replaces rules in place and needs no room for a new one)"
    )


class _GroupRun(Sender):
    """The edits of one group, applied in the order that never cuts access."""

    def __init__(self, client: EC2Client, batch: Batch) -> None:
        super().__init__(batch)
        self.client = client

    def modify(self, batch: Indexed) -> None:
        requests = [_modify_request(change) for _, change in batch]
        response = self.call(
            "ModifySecurityGroupRules",
            batch,
            lambda: self.client.modify_security_group_rules(
                GroupId=self.resource_id, SecurityGroupRules=requests
            ),
            hint=_quota_hint,
        )
        self.allowing_failed |= response is None

    def authorize(self, direction: Direction, batch: Indexed) -> None:
        permissions = [_permission(change) for _, change in batch]
        call = (
            self.client.authorize_security_group_ingress
            if direction == "ingress"
            else self.client.authorize_security_group_egress
        )
        response = self.call(
            f"AuthorizeSecurityGroup{direction.capitalize()}",
            batch,
            lambda: call(GroupId=self.resource_id, IpPermissions=permissions),
            new_ids=lambda response: _new_rule_ids(response, batch),
            hint=_quota_hint,
        )
        self.allowing_failed |= response is None

    def revoke(self, direction: Direction, batch: Indexed) -> None:
        if self.allowing_failed:
            # Something meant to allow the new range failed: keep the old one so access stays.
            self.settle(batch, Skipped("an earlier change in this group failed; kept the old rule"))
            return
        rule_ids = [change.rule.rule_id for _, change in batch]
        call = (
            self.client.revoke_security_group_ingress
            if direction == "ingress"
            else self.client.revoke_security_group_egress
        )
        self.call(
            f"RevokeSecurityGroup{direction.capitalize()}",
            batch,
            lambda: call(GroupId=self.resource_id, SecurityGroupRuleIds=rule_ids),
        )


def apply_group(client: EC2Client, batch: Batch) -> dict[int, Outcome]:
    """Carry out one group's changes: modifies, then authorizes, then revokes."""
    run = _GroupRun(client, batch)
    by_action: dict[tuple[str, Direction], Indexed] = defaultdict(list)
    for index, change in batch.changes:
        by_action[(change.action, traffic_of(change).direction)].append((index, change))
    modifies = by_action[("modify", "ingress")] + by_action[("modify", "egress")]
    if modifies:
        run.modify(modifies)
    for direction in DIRECTIONS:
        if by_action[("authorize", direction)]:
            run.authorize(direction, by_action[("authorize", direction)])
    for direction in DIRECTIONS:
        if by_action[("revoke", direction)]:
            run.revoke(direction, by_action[("revoke", direction)])
    return run.outcomes
