"""Execute a plan for one target: one batched call per group and kind of edit."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import botocore.exceptions

from sgupdater import aws
from sgupdater._types import Direction, RuleId
from sgupdater.models import Applied, Change, Failed, Outcome, Plan, Skipped

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

log = logging.getLogger("sgupdater")


class Recorder(Protocol):
    """Told of each change before it is sent and of its outcome after (the journal)."""

    def before(self, change: Change) -> None: ...

    def after(self, change: Change, outcome: Outcome) -> None: ...


Indexed = list[tuple[int, Change]]
DIRECTIONS: tuple[Direction, ...] = ("ingress", "egress")


def _cidr_fields(change: Change) -> dict[str, str]:
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


class _GroupRun:
    """The edits of one group, applied in the order that never cuts access."""

    def __init__(
        self,
        client: EC2Client,
        group_id: str,
        record: Recorder | None,
        stop: threading.Event | None,
    ) -> None:
        self.client = client
        self.group_id = group_id
        self.record = record
        self.stop = stop
        self.outcomes: dict[int, Outcome] = {}
        self.allowing_failed = False

    def _settle(self, batch: Indexed, outcome: Outcome) -> None:
        for index, change in batch:
            self.outcomes[index] = outcome
            if self.record is not None:
                self.record.after(change, outcome)

    def _call(self, what: str, batch: Indexed, send: Callable[[], Any]) -> Any:
        if self.stop is not None and self.stop.is_set():
            # Interrupted: what is not sent yet stays as it is; a re-run picks it up.
            self._settle(batch, Skipped("interrupted before it was sent"))
            self.allowing_failed = True
            return None
        log.info("%s %s: %d rule(s)", what, self.group_id, len(batch))
        if self.record is not None:
            for _, change in batch:
                self.record.before(change)
        try:
            response = send()
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            error = aws.target_error(exc)
            log.info("%s %s failed: %s", what, self.group_id, error)
            message = str(error)
            if error.code == "RulesPerSecurityGroupLimitExceeded":
                message += (
                    " (the group is at its rules quota: --strategy modify, the default,"
                    " replaces rules in place and needs no room for a new one)"
                )
            self._settle(batch, Failed(error.code, message))
            return None
        ids = _new_rule_ids(response, batch) if what.startswith("Authorize") else {}
        for index, change in batch:
            self._settle([(index, change)], Applied(new_rule_id=ids.get(index)))
        return response

    def modify(self, batch: Indexed) -> None:
        requests = [_modify_request(change) for _, change in batch]
        response = self._call(
            "ModifySecurityGroupRules",
            batch,
            lambda: self.client.modify_security_group_rules(
                GroupId=self.group_id, SecurityGroupRules=requests
            ),
        )
        self.allowing_failed |= response is None

    def authorize(self, direction: Direction, batch: Indexed) -> None:
        permissions = [_permission(change) for _, change in batch]
        call = (
            self.client.authorize_security_group_ingress
            if direction == "ingress"
            else self.client.authorize_security_group_egress
        )
        what = f"AuthorizeSecurityGroup{direction.capitalize()}"
        response = self._call(
            what, batch, lambda: call(GroupId=self.group_id, IpPermissions=permissions)
        )
        self.allowing_failed |= response is None

    def revoke(self, direction: Direction, batch: Indexed) -> None:
        if self.allowing_failed:
            # Something meant to allow the new range failed: keep the old one so access stays.
            self._settle(
                batch, Skipped("an earlier change in this group failed; kept the old rule")
            )
            return
        rule_ids = [change.rule.rule_id for _, change in batch]
        call = (
            self.client.revoke_security_group_ingress
            if direction == "ingress"
            else self.client.revoke_security_group_egress
        )
        what = f"RevokeSecurityGroup{direction.capitalize()}"
        self._call(what, batch, lambda: call(GroupId=self.group_id, SecurityGroupRuleIds=rule_ids))


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


def apply(
    client: EC2Client,
    plan: Plan,
    *,
    workers: int = 4,
    record: Recorder | None = None,
    stop: threading.Event | None = None,
) -> tuple[Outcome, ...]:
    """Apply every change of the plan; one outcome per change, in plan order."""
    by_group: dict[str, Indexed] = defaultdict(list)
    for index, change in enumerate(plan.changes):
        by_group[change.rule.group_id].append((index, change))
    outcomes: dict[int, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(_apply_group, client, group_id, batch, record, stop)
            for group_id, batch in by_group.items()
        ]
        for future in futures:
            outcomes.update(future.result())
    return tuple(outcomes[i] for i in range(len(plan.changes)))
