"""Changing one security group's rules: modify in one call, authorize, then revoke."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sgupdater._types import Direction
from sgupdater.cidrs import normalise
from sgupdater.kinds.interface import Batch, Indexed, KindError
from sgupdater.kinds.security_groups.read import rule_key
from sgupdater.kinds.sending import Sender
from sgupdater.models import Change, Outcome, PortKey, Skipped, Traffic

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

DIRECTIONS: tuple[Direction, ...] = ("ingress", "egress")
# What identifies a rule in its group: traffic and what it allows (a CIDR, or a list's id).
Made = tuple[PortKey, str]


def traffic_of(change: Change) -> Traffic:
    """A rule's traffic; every security-group rule has one."""
    traffic = change.entry.traffic
    if traffic is None:
        raise KindError(
            f"rule {change.entry.entry_id} has no direction, protocol or ports",
            code="MalformedChange",
        )
    return traffic


def _modify_request(change: Change) -> Any:
    rule, traffic = change.entry, traffic_of(change)
    cidr = change.new_cidr if change.new_cidr is not None else rule.cidr
    # The call replaces the whole rule: every field is sent, or it would be lost. The rule
    # keeps its type: CIDR to CIDR of the same family (EC2 refuses any other change).
    request: dict[str, Any] = {
        "IpProtocol": traffic.protocol,
        "FromPort": traffic.from_port,
        "ToPort": traffic.to_port,
        "CidrIpv4" if cidr.version == 4 else "CidrIpv6": str(cidr),
    }
    if rule.description:
        request["Description"] = rule.description
    return {"SecurityGroupRuleId": rule.entry_id, "SecurityGroupRule": request}


def allows(change: Change) -> str:
    """What the rule an authorize makes allows: its CIDR, or the id of the list it references."""
    if change.new_cidr is not None:
        return str(change.new_cidr)
    if change.reference is None or not change.reference.id:
        raise KindError(
            "an authorize names the CIDR or the prefix list it allows", code="MalformedChange"
        )
    return change.reference.id


def _permission(change: Change) -> Any:
    rule, traffic, new = change.entry, traffic_of(change), change.new_cidr
    if new is None:
        ranges, entry = "PrefixListIds", {"PrefixListId": allows(change)}
    elif new.version == 4:
        ranges, entry = "IpRanges", {"CidrIp": str(new)}
    else:
        ranges, entry = "Ipv6Ranges", {"CidrIpv6": str(new)}
    if rule.description:
        entry["Description"] = rule.description
    permission: dict[str, Any] = {"IpProtocol": traffic.protocol, ranges: [entry]}
    if traffic.protocol != "-1":
        permission["FromPort"] = traffic.from_port
        permission["ToPort"] = traffic.to_port
    return permission


def made_key(raw: Any) -> Made:
    """A described or created rule's traffic and what it allows."""
    text = raw.get("CidrIpv4") or raw.get("CidrIpv6")
    cidr = normalise(text) if text else None
    return (rule_key(raw), str(cidr) if cidr is not None else raw.get("PrefixListId", ""))


def _new_rule_ids(rules: Any, batch: Indexed) -> dict[int, str]:
    # Matched on direction, protocol, ports and what the rule allows: two rules of one call
    # may allow the same CIDR on different ports.
    created = {made_key(raw): str(raw["SecurityGroupRuleId"]) for raw in rules}
    ids: dict[int, str] = {}
    for index, change in batch:
        found = created.get(((change.entry.container_id, traffic_of(change)), allows(change)))
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


def _tagged(tags: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    # The replacement keeps the old rule's tags (a new rule would otherwise have none).
    if not tags:
        return {}
    pairs = [{"Key": key, "Value": value} for key, value in tags]
    return {"TagSpecifications": [{"ResourceType": "security-group-rule", "Tags": pairs}]}


class _GroupRun(Sender):
    """The edits of one group, applied in the order that never cuts access."""

    def __init__(self, client: EC2Client, batch: Batch) -> None:
        super().__init__(batch)
        self.client = client

    def modify(self, batch: Indexed) -> None:
        requests = [_modify_request(change) for _, change in batch]
        self.call(
            "ModifySecurityGroupRules",
            batch,
            lambda: self.client.modify_security_group_rules(
                GroupId=self.resource_id, SecurityGroupRules=requests
            ),
            hint=_quota_hint,
        )
        self.allowing_failed |= not self.all_applied(batch)

    def authorize(self, direction: Direction, batch: Indexed) -> None:
        permissions = [_permission(change) for _, change in batch]
        call = (
            self.client.authorize_security_group_ingress
            if direction == "ingress"
            else self.client.authorize_security_group_egress
        )
        tags = _tagged(batch[0][1].entry.tags)
        self.call(
            f"AuthorizeSecurityGroup{direction.capitalize()}",
            batch,
            lambda: call(GroupId=self.resource_id, IpPermissions=permissions, **tags),
            new_ids=lambda response: _new_rule_ids(response.get("SecurityGroupRules", []), batch),
            hint=_quota_hint,
        )
        self.allowing_failed |= not self.all_applied(batch)

    def revoke(self, direction: Direction, batch: Indexed) -> None:
        if self.allowing_failed:
            # Something meant to allow the new range failed: keep the old one so access stays.
            self.settle(batch, Skipped("an earlier change in this group failed; kept the old rule"))
            return
        rule_ids = [change.entry.entry_id for _, change in batch]
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
    by_action: dict[tuple[str, Direction, tuple[tuple[str, str], ...]], Indexed] = defaultdict(list)
    for index, change in batch.changes:
        # One authorize call per direction and set of tags to carry over.
        tags = change.entry.tags if change.action == "authorize" else ()
        by_action[(change.action, traffic_of(change).direction, tags)].append((index, change))
    modifies = [item for key, items in by_action.items() if key[0] == "modify" for item in items]
    if modifies:
        run.modify(modifies)
    for action in ("authorize", "revoke"):
        for direction in DIRECTIONS:
            for (what, towards, _), items in sorted(by_action.items()):
                if (what, towards) == (action, direction):
                    getattr(run, action)(direction, items)
    return run.outcomes
