"""Every file format sgupdater writes: plan files and journal lines (formats_read.py and
journal_read.py read them back, checked).

Version 1 of both is written and read. An entry with no traffic of its own (a prefix list's)
is written with the placeholders version 1 always used ("ingress", "-1", -1, -1) and read back
without traffic, as its kind says.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Literal, TypedDict

from sgupdater import __version__
from sgupdater.models import (
    Applied,
    Change,
    Credentials,
    Entry,
    Failed,
    Outcome,
    PrefixListRef,
    Target,
    TargetResult,
    Traffic,
    status_of,
)

JOURNAL_VERSION = 1
PLAN_VERSION = 1
PLAN_KIND = "sgupdater-plan"
# "kept": a whole document a call replaced or deleted, journalled before it (never undone).
Event = Literal["start", "before", "after", "end", "kept"]


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
    # "kept" lines: the container, what the document was, and the document itself.
    container: str
    what: str
    document: Any
    new_rule_id: str | None


def rule_record(rule: Entry) -> RuleRecord:
    """The stored copy of an entry."""
    traffic = rule.traffic or Traffic("ingress", "-1")
    record = RuleRecord(
        rule_id=rule.entry_id,
        group_id=rule.container_id,
        group_name=rule.container_name,
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


def list_record(ref: PrefixListRef | None) -> ListRecord | None:
    """The stored copy of a change's prefix list."""
    if ref is None:
        return None
    return ListRecord(name=ref.name, id=ref.id, max_entries=ref.max_entries)


def credentials_record(creds: Credentials) -> CredentialsRecord:
    """The record of a target's credentials."""
    return CredentialsRecord(
        profile=creds.profile,
        role_arn=creds.role_arn,
        external_id=creds.external_id,
        session_name=creds.session_name,
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
        account=change.entry.account or target.account,
        region=target.region,
        action=change.action,
        rule=rule_record(change.entry),
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
        rule=rule_record(change.entry),
        new_cidr=str(change.new_cidr) if change.new_cidr is not None else None,
        prefix_list=list_record(change.prefix_list),
        reason=change.reason,
    )


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
