"""Execute a plan for one target: one batched call per group and kind of edit."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from sgupdater import nacls, prefixlists
from sgupdater._types import Direction, RuleId
from sgupdater.models import Applied, Change, Outcome, Plan, Skipped
from sgupdater.sending import Indexed, Recorder, Sender

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

log = logging.getLogger("sgupdater")


DIRECTIONS: tuple[Direction, ...] = ("ingress", "egress")


def _cidr_fields(change: Change) -> dict[str, str]:
    if change.prefix_list is not None:
        return {"PrefixListId": change.prefix_list.id}
    cidr = change.new_cidr if change.new_cidr is not None else change.rule.cidr
    return {"CidrIpv4" if cidr.version == 4 else "CidrIpv6": str(cidr)}


def _modify_request(change: Change) -> Any:
    rule = change.rule
    # The call replaces the whole rule: every field is sent, or it would be lost.
    request: dict[str, Any] = {
        "IpProtocol": rule.protocol,
        "FromPort": rule.from_port,
        "ToPort": rule.to_port,
        **_cidr_fields(change),
    }
    if rule.description:
        request["Description"] = rule.description
    return {"SecurityGroupRuleId": rule.rule_id, "SecurityGroupRule": request}


def _permission(change: Change) -> Any:
    rule = change.rule
    assert change.new_cidr is not None  # authorize always names the CIDR to allow
    entry: dict[str, str] = {}
    if change.new_cidr.version == 4:
        entry["CidrIp"] = str(change.new_cidr)
        key = "IpRanges"
    else:
        entry["CidrIpv6"] = str(change.new_cidr)
        key = "Ipv6Ranges"
    if rule.description:
        entry["Description"] = rule.description
    permission: dict[str, Any] = {"IpProtocol": rule.protocol, key: [entry]}
    if rule.protocol != "-1":
        permission["FromPort"] = rule.from_port
        permission["ToPort"] = rule.to_port
    return permission


def _new_rule_ids(response: Any, batch: Indexed) -> dict[int, RuleId]:
    created: dict[tuple[str, str], RuleId] = {}
    for raw in response.get("SecurityGroupRules", []):
        cidr = raw.get("CidrIpv4") or raw.get("CidrIpv6") or ""
        created[(str(raw.get("IpProtocol")), cidr)] = RuleId(raw["SecurityGroupRuleId"])
    ids: dict[int, RuleId] = {}
    for index, change in batch:
        found = created.get((change.rule.protocol, str(change.new_cidr)))
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

    def __init__(
        self,
        client: EC2Client,
        group_id: str,
        record: Recorder | None,
        stop: threading.Event | None,
    ) -> None:
        super().__init__(group_id, record, stop)
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


def _apply_group(
    client: EC2Client,
    group_id: str,
    batch: Indexed,
    record: Recorder | None,
    stop: threading.Event | None,
) -> dict[int, Outcome]:
    run = _GroupRun(client, group_id, record, stop)
    by_kind: dict[tuple[str, Direction], Indexed] = defaultdict(list)
    for index, change in batch:
        by_kind[(change.action, change.rule.direction)].append((index, change))
    modifies = by_kind[("modify", "ingress")] + by_kind[("modify", "egress")]
    if modifies:
        run.modify(modifies)
    for direction in DIRECTIONS:
        if by_kind[("authorize", direction)]:
            run.authorize(direction, by_kind[("authorize", direction)])
    for direction in DIRECTIONS:
        if by_kind[("revoke", direction)]:
            run.revoke(direction, by_kind[("revoke", direction)])
    return run.outcomes


Work = Callable[[str, Indexed], dict[int, Outcome]]


def _run(work: Work, batches: dict[str, Indexed], workers: int) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(work, key, batch) for key, batch in batches.items()]
        for future in futures:
            outcomes.update(future.result())
    return outcomes


def _grouped(indexed: Indexed) -> dict[str, Indexed]:
    batches: dict[str, Indexed] = defaultdict(list)
    for index, change in indexed:
        # A list still to be created has no id yet: its name stands in.
        ref = change.prefix_list
        key = change.rule.group_id or (f"new:{ref.name}" if ref is not None else "")
        batches[key].append((index, change))
    return batches


def _resolved(
    rest: Indexed, lists: Indexed, outcomes: dict[int, Outcome], record: Recorder | None
) -> Indexed:
    """Point rule changes at the lists created in this run; skip those whose list is missing."""
    created = {
        change.prefix_list.name: outcome.new_rule_id
        for index, change in lists
        if change.action == "create" and change.prefix_list is not None
        and isinstance(outcome := outcomes.get(index), Applied) and outcome.new_rule_id
    }  # fmt: skip
    kept: Indexed = []
    for index, change in rest:
        ref = change.prefix_list
        if ref is None or ref.id:
            kept.append((index, change))
        elif ref.name in created:
            ref = dataclasses.replace(ref, id=created[ref.name])
            kept.append((index, dataclasses.replace(change, prefix_list=ref)))
        else:
            outcomes[index] = Skipped(f"the prefix list {ref.name} was not created")
            if record is not None:
                record.after(change, outcomes[index])
    return kept


def apply(
    client: EC2Client,
    plan: Plan,
    *,
    workers: int = 4,
    record: Recorder | None = None,
    stop: threading.Event | None = None,
) -> tuple[Outcome, ...]:
    """Apply every change of the plan; one outcome per change, in plan order.

    Prefix lists gain entries first and lose them (or are deleted) last, so no moment
    leaves a range the plan keeps without access.
    """
    indexed = list(enumerate(plan.changes))
    lists = [(i, c) for i, c in indexed if c.rule.kind == "prefix-list"]
    widening = [(i, c) for i, c in lists if c.action in ("create", "modify", "authorize")]
    narrowing = [(i, c) for i, c in lists if c.action in ("revoke", "delete")]
    rest = [(i, c) for i, c in indexed if c.rule.kind != "prefix-list"]

    def list_work(_: str, batch: Indexed) -> dict[int, Outcome]:
        return prefixlists.apply_list(client, batch, record, stop)

    def other_work(key: str, batch: Indexed) -> dict[int, Outcome]:
        if batch[0][1].rule.kind == "nacl":
            return nacls.apply_entries(client, key, batch, record, stop)
        return _apply_group(client, key, batch, record, stop)

    outcomes = _run(list_work, _grouped(widening), workers)
    rest = _resolved(rest, widening, outcomes, record)
    outcomes.update(_run(other_work, _grouped(rest), workers))
    if any(not isinstance(outcomes[i], Applied) for i, _ in indexed if i in outcomes):
        # Something before did not happen (a rule still relying on the list, perhaps):
        # keep every entry rather than cut access.
        kept = Skipped("an earlier change did not apply; kept the prefix-list entry")
        for index, change in narrowing:
            outcomes[index] = kept
            if record is not None:
                record.after(change, kept)
        narrowing = []
    outcomes.update(_run(list_work, _grouped(narrowing), workers))
    return tuple(outcomes[i] for i in range(len(plan.changes)))
