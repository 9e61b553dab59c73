"""Every file format sgupdater writes and reads: plan files and journal lines, both directions.

Version 1 of both is written and read. An entry with no traffic of its own (a prefix list's)
is written with the placeholders version 1 always used ("ingress", "-1", -1, -1) and read back
without traffic, as its kind says.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict

from sgupdater import __version__, kinds
from sgupdater._types import AccountId, Direction, GroupId, Region, RuleId
from sgupdater.errors import ConfigError, InputError
from sgupdater.migrate import repoint
from sgupdater.models import (
    Applied,
    Change,
    Credentials,
    Failed,
    Outcome,
    Plan,
    PrefixListRef,
    Rule,
    Target,
    TargetResult,
    Traffic,
    status_of,
)

JOURNAL_VERSION = 1
PLAN_VERSION = 1
PLAN_KIND = "sgupdater-plan"
Event = Literal["start", "before", "after", "end"]


class _RuleFields(TypedDict):
    """An entry's fields every version-1 record has."""

    rule_id: str
    group_id: str
    group_name: str
    vpc_id: str
    direction: str
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    description: str | None
    kind: str
    rule_action: str
    managed: str


class RuleRecord(_RuleFields, total=False):
    """An entry as plan files and journals store it; tags are absent from older records."""

    tags: list[list[str]]


class ListRecord(TypedDict):
    """The prefix list a change creates, deletes or points a rule at."""

    name: str
    id: str
    max_entries: int


class CredentialsRecord(TypedDict, total=False):
    """How a journal line or plan file names a target's credentials (never secrets)."""

    profile: str | None
    role_arn: str | None
    external_id: str | None
    session_name: str


class ChangeRecord(TypedDict):
    """One change of a plan file."""

    action: str
    rule: RuleRecord
    new_cidr: str | None
    prefix_list: ListRecord | None
    reason: str


class JournalRecord(CredentialsRecord, total=False):
    """One line of the journal; `before`/`after` lines describe one change."""

    format_version: int
    run_id: str
    time: str
    event: Event
    command: str
    account: str | None
    region: str
    action: str
    rule: RuleRecord
    new_cidr: str | None
    prefix_list: ListRecord | None
    outcome: str
    error: str
    new_rule_id: str | None


def rule_record(rule: Rule) -> RuleRecord:
    """The stored copy of an entry."""
    traffic = rule.traffic or Traffic("ingress", "-1")
    record = RuleRecord(
        rule_id=rule.rule_id,
        group_id=rule.group_id,
        group_name=rule.group_name,
        vpc_id=rule.vpc_id,
        direction=traffic.direction,
        protocol=traffic.protocol,
        from_port=traffic.from_port,
        to_port=traffic.to_port,
        cidr=str(rule.cidr),
        description=rule.description,
        kind=rule.kind,
        rule_action=traffic.action,
        managed=rule.managed,
    )
    if rule.tags:
        record["tags"] = [[key, value] for key, value in rule.tags]
    return record


def rule_from_record(record: RuleRecord, account: str | None, region: str, cidr: str) -> Rule:
    """An entry as a journal or plan file recorded it, allowing `cidr`."""
    kind = kinds.get(record.get("kind", "rule"))
    traffic = None
    if kind.traits.has_traffic:
        direction: Direction = "egress" if record["direction"] == "egress" else "ingress"
        ports = (int(record["from_port"]), int(record["to_port"]))
        traffic = Traffic(direction, record["protocol"], *ports, record.get("rule_action") or "")
    return Rule(
        kind=kind.name,
        account=AccountId(account or ""),
        region=Region(region),
        group_id=GroupId(record["group_id"]),
        group_name=record["group_name"],
        cidr=ipaddress.ip_network(cidr),
        rule_id=RuleId(record["rule_id"]),
        traffic=traffic,
        description=record["description"],
        vpc_id=record["vpc_id"],
        managed=record.get("managed") or "",
        tags=tuple((str(key), str(value)) for key, value in record.get("tags") or ()),
    )


def list_record(ref: PrefixListRef | None) -> ListRecord | None:
    """The stored copy of a change's prefix list."""
    if ref is None:
        return None
    return ListRecord(name=ref.name, id=ref.id, max_entries=ref.max_entries)


def list_ref(record: ListRecord | None) -> PrefixListRef | None:
    """A change's prefix list back from its record."""
    if not record:
        return None
    return PrefixListRef(record["name"], record["id"], int(record["max_entries"]))


def credentials_record(creds: Credentials) -> CredentialsRecord:
    """The record of a target's credentials."""
    return CredentialsRecord(
        profile=creds.profile,
        role_arn=creds.role_arn,
        external_id=creds.external_id,
        session_name=creds.session_name,
    )


def credentials_from(record: Mapping[str, Any]) -> Credentials:
    """A target's credentials back from a journal line or a plan file's target."""
    return Credentials(
        profile=record.get("profile"),
        role_arn=record.get("role_arn"),
        external_id=record.get("external_id"),
        session_name=record.get("session_name") or "sgupdater",
    )


def target_from(record: Mapping[str, Any]) -> Target:
    """The target a journal line or a plan file's target names."""
    account = record.get("account")
    return Target(
        Region(record["region"]),
        credentials_from(record),
        AccountId(account) if account else None,
        record.get("alias"),
    )


def journal_change(command: str, target: Target, change: Change, event: Event) -> JournalRecord:
    """The journal line of a change about to be sent (before) or answered (after)."""
    creds = target.credentials
    return JournalRecord(
        event=event,
        command=command,
        profile=creds.profile,
        role_arn=creds.role_arn,
        external_id=creds.external_id,
        session_name=creds.session_name,
        account=change.rule.account or target.account,
        region=target.region,
        action=change.action,
        rule=rule_record(change.rule),
        new_cidr=str(change.new_cidr) if change.new_cidr is not None else None,
        prefix_list=list_record(change.prefix_list),
    )


def journal_outcome(record: JournalRecord, outcome: Outcome) -> JournalRecord:
    """An `after` line: the change's line with what AWS answered."""
    record["outcome"] = status_of(outcome)
    if isinstance(outcome, Failed):
        record["error"] = f"{outcome.code}: {outcome.message}"
    if isinstance(outcome, Applied):
        record["new_rule_id"] = outcome.new_id
    return record


def change_record(change: Change) -> ChangeRecord:
    """A plan file's copy of a change."""
    return ChangeRecord(
        action=change.action,
        rule=rule_record(change.rule),
        new_cidr=str(change.new_cidr) if change.new_cidr is not None else None,
        prefix_list=list_record(change.prefix_list),
        reason=change.reason,
    )


def change_from(where: str, raw: Any, account: str | None, region: str) -> Change:
    """A plan file's change back; anything off is a ConfigError naming where."""
    try:
        record: RuleRecord = raw["rule"]
        action = raw["action"]
        if action not in ("modify", "authorize", "revoke", "create"):
            raise ValueError(f"unknown action {action!r}")
        new = raw.get("new_cidr")
        return Change(
            action,
            rule_from_record(record, account, region, record["cidr"]),
            ipaddress.ip_network(new) if new else None,
            str(raw.get("reason", "")),
            list_ref(raw.get("prefix_list")),
        )
    except (KeyError, TypeError, ValueError, InputError) as exc:
        raise ConfigError(f"{where}: not a valid change ({exc})") from None


def plan_document(command: str, results: Iterable[TargetResult]) -> tuple[dict[str, Any], int]:
    """The plan file of these results, and the number of changes it holds."""
    targets = []
    count = 0
    for result in results:
        if result.error is not None or not result.plan.changes:
            continue
        changes = [change_record(c) for c in result.plan.changes]
        count += len(changes)
        targets.append(
            {
                **credentials_record(result.target.credentials),
                "account": result.account or result.target.account,
                "alias": result.target.alias,
                "region": result.target.region,
                "changes": changes,
            }
        )
    document = {
        "format_version": PLAN_VERSION,
        "kind": PLAN_KIND,
        "tool_version": __version__,
        "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "targets": targets,
    }
    return document, count


def _steps(change: Change) -> tuple[Change, ...]:
    """A change as this version makes it; a version-1 migrate pointed a rule at a list in place."""
    ref = change.prefix_list
    if change.action == "modify" and ref is not None and change.new_cidr is None:
        return repoint(change.rule, ref)
    return (change,)


def plans_from(name: str, document: Any) -> tuple[str, dict[Target, Plan]]:
    """The command and per-target plans of a plan file's document."""
    if not isinstance(document, dict) or document.get("kind") != PLAN_KIND:
        raise ConfigError(f"{name}: not a sgupdater plan file")
    if document.get("format_version") != PLAN_VERSION:
        raise ConfigError(
            f"{name}: plan format version {document.get('format_version')!r}; "
            f"this sgupdater reads version {PLAN_VERSION}"
        )
    plans: dict[Target, Plan] = {}
    try:
        for i, raw in enumerate(document["targets"]):
            target = target_from(raw)
            where = f"{name}: targets[{i}].changes"
            changes = tuple(
                step
                for j, c in enumerate(raw["changes"])
                for step in _steps(change_from(f"{where}[{j}]", c, target.account, target.region))
            )
            plans[target] = Plan(changes, tuple(c.rule for c in changes))
        return str(document.get("command", "apply")), plans
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{name}: not a valid plan file (missing {exc})") from None
