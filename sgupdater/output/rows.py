"""The records every output is made of: matched rules, changes, failures, counts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypedDict

from sgupdater.models import (
    IN_DOUBT,
    LEFT_OUT,
    Applied,
    Change,
    Entry,
    Failed,
    Outcome,
    Skipped,
    TargetResult,
    Traffic,
    status_of,
)


class Place(TypedDict):
    """Where a rule is and what it allows through: the leading columns of every row."""

    account: str
    region: str
    vpc_id: str
    group_id: str
    group_name: str
    direction: str
    protocol: str
    from_port: int
    to_port: int


class RuleRow(Place):
    """One rule as the JSON output and TSV columns name it."""

    cidr: str
    description: str
    rule_id: str
    account_alias: str
    kind: str
    rule_action: str
    managed: str


class ChangeRow(Place):
    """One planned or applied change."""

    old_cidr: str
    new_cidr: str
    description: str
    rule_id: str
    action: str
    status: str
    detail: str
    new_rule_id: str
    account_alias: str
    kind: str
    rule_action: str
    managed: str
    prefix_list_id: str
    prefix_list_name: str


class FailureRow(TypedDict):
    """One target, or one kind or container of it, that could not be scanned or changed."""

    profile: str
    role_arn: str
    account: str
    account_alias: str
    region: str
    error_code: str
    message: str
    # For a part of a target: its kind and container ("" for the whole kind).
    kind: str
    container: str


@dataclass(frozen=True, slots=True)
class Summary:
    """The counts of a run."""

    targets: int
    targets_failed: int
    groups_scanned: int
    rules_matched: int
    changes: int
    changed: int
    unchanged: int
    failed: int
    managed: int
    blocked: int
    # Organization accounts left out for their state (SUSPENDED, CLOSED, ...).
    accounts_skipped: int = 0
    # Rollback: journalled changes whose answer was never written, settled by reading now.
    in_doubt: int = 0
    # Skipped because the entry moved on since the plan (not because it was in place already).
    moved_on: int = 0
    # Still to make: checked and not applied (a dry run, or a run that asked and was not sent).
    planned: int = 0
    # Account-regions --inventory found nothing of the range in: not read.
    left_out: int = 0


def place(rule: Entry) -> Place:
    """The leading columns for an entry."""
    # An entry with no traffic of its own (a prefix list's): the referencing rules decide it.
    traffic = rule.traffic or Traffic("ingress", "")
    return Place(
        account=rule.account,
        region=rule.region,
        vpc_id=rule.vpc_id,
        group_id=rule.container_id,
        group_name=rule.container_name,
        direction=traffic.direction if rule.traffic is not None else "",
        protocol=traffic.protocol,
        from_port=traffic.from_port,
        to_port=traffic.to_port,
    )


def _action(rule: Entry) -> str:
    return rule.traffic.action if rule.traffic is not None else ""


def rule_row(rule: Entry, alias: str | None = None) -> RuleRow:
    """The output row of a matched rule."""
    return RuleRow(
        **place(rule),
        cidr=str(rule.cidr),
        description=rule.description or "",
        rule_id=rule.entry_id,
        account_alias=alias or "",
        kind=rule.kind,
        rule_action=_action(rule),
        managed=rule.managed,
    )


def rule_rows(results: Sequence[TargetResult]) -> Iterator[RuleRow]:
    """Every matched rule of every target, in report order."""
    for result in results:
        for rule in result.plan.matched:
            yield rule_row(rule, result.target.alias)


def _change_row(change: Change, status: str, detail: str, new_id: str, alias: str) -> ChangeRow:
    rule, ref = change.entry, change.reference
    return ChangeRow(
        **place(rule),
        old_cidr=str(rule.cidr),
        new_cidr=str(change.new_cidr) if change.new_cidr is not None else "",
        description=rule.description or "",
        rule_id=rule.entry_id,
        action=change.action,
        status=status,
        detail=detail,
        new_rule_id=new_id,
        account_alias=alias,
        kind=rule.kind,
        rule_action=_action(rule),
        managed=rule.managed,
        prefix_list_id=ref.id if ref is not None else "",
        prefix_list_name=ref.name if ref is not None else "",
    )


def moved_on(results: Sequence[TargetResult]) -> Iterator[ChangeRow]:
    """The changes skipped because their entry moved on: the old range may still be trusted."""
    for result in results:
        outcomes = result.outcomes or (None,) * len(result.plan.changes)
        for change, outcome in zip(result.plan.changes, outcomes, strict=True):
            if isinstance(outcome, Skipped) and not outcome.settled:
                alias = result.target.alias or ""
                yield _change_row(change, "skipped", outcome.reason, "", alias)


def _created(changes: Sequence[Change], outcomes: Sequence[Outcome | None]) -> dict[str, str]:
    """The ids of the containers these changes created, by name."""
    return {
        change.reference.name: outcome.new_id
        for change, outcome in zip(changes, outcomes, strict=True)
        if change.action == "create" and change.reference is not None
        and isinstance(outcome, Applied) and outcome.new_id
    }  # fmt: skip


def change_rows(results: Sequence[TargetResult]) -> Iterator[ChangeRow]:
    """Every change of every target with its outcome, then what was left blocked."""
    for result in results:
        alias = result.target.alias or ""
        outcomes = result.outcomes or (None,) * len(result.plan.changes)
        made = _created(result.plan.changes, outcomes)
        for change, outcome in zip(result.plan.changes, outcomes, strict=True):
            ref = change.reference
            if ref is not None and not ref.id and ref.name in made:
                # Pointed at a container this run created: its id is known now.
                change = dataclasses.replace(
                    change, reference=dataclasses.replace(ref, id=made[ref.name])
                )
            detail = change.reason
            if isinstance(outcome, Skipped):
                detail = outcome.reason
            elif isinstance(outcome, Failed):
                detail = outcome.message
            new_id = (outcome.new_id if isinstance(outcome, Applied) else None) or ""
            yield _change_row(change, status_of(outcome), detail, new_id, alias)
        for rule, reason in result.plan.blocked:
            yield _change_row(Change("modify", rule), "blocked", reason, "", alias)
        for rule, reason in result.plan.kept:
            yield _change_row(Change("revoke", rule), "kept", reason, "", alias)


def _failure(
    result: TargetResult, code: str, message: str, kind: str = "", container: str = ""
) -> FailureRow:
    return FailureRow(
        profile=result.target.credentials.profile or "",
        role_arn=result.target.credentials.role_arn or "",
        account=result.account or result.target.account or "",
        account_alias=result.target.alias or "",
        region=result.target.region,
        error_code=code,
        message=message,
        kind=kind,
        container=container,
    )


def failure_rows(results: Sequence[TargetResult]) -> Iterator[FailureRow]:
    """Every target that failed, and every kind or container that could not be read."""
    for result in results:
        if result.error is not None:
            yield _failure(result, result.error.code, str(result.error))
        for item in result.failures:
            what = f"{item.kind} {item.container}" if item.container else item.kind
            message = f"{what} not read: {item.message}"
            yield _failure(result, item.code, message, item.kind, item.container)


def summarise(results: Sequence[TargetResult]) -> Summary:
    """Count what a run found and did."""
    statuses = [row["status"] for row in change_rows(results)]
    skipped = sum(1 for r in results if r.skipped)
    left_out = sum(1 for r in results if r.skipped == LEFT_OUT)
    return Summary(
        targets=len(results) - skipped,
        targets_failed=sum(1 for r in results if r.error is not None),
        groups_scanned=sum(r.groups_scanned for r in results),
        rules_matched=sum(len(r.plan.matched) for r in results),
        changes=len(statuses) - statuses.count("blocked") - statuses.count("kept"),
        changed=statuses.count("applied"),
        unchanged=sum(len(r.plan.unchanged) for r in results)
        + statuses.count("skipped")
        + statuses.count("kept"),
        failed=statuses.count("failed")
        + sum(1 for r in results if r.error is not None)
        + sum(len(r.failures) for r in results),
        managed=sum(1 for r in results for m in r.plan.matched if m.managed),
        blocked=statuses.count("blocked"),
        accounts_skipped=skipped - left_out,
        in_doubt=sum(1 for r in results for c in r.plan.changes if IN_DOUBT in c.reason),
        moved_on=sum(1 for _ in moved_on(results)),
        planned=statuses.count("planned"),
        left_out=left_out,
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def summary_line(summary: Summary, *, command: str, applied: bool, dry_run: bool = False) -> str:
    """The one-line summary printed at the end of every command.

    applied: changes were sent; dry_run: only a plan was asked for (else nothing was left).
    """
    from_file = command in ("apply", "rollback")
    read = "read again" if from_file else "read"
    found = f"{summary.targets} target(s), {_count(summary.groups_scanned, 'container')} {read}"
    if not from_file:
        found += f", {summary.rules_matched} rules matched"
    if summary.managed:
        found += f" ({summary.managed} in IaC-managed resources)"
    if summary.accounts_skipped:
        found += f", {summary.accounts_skipped} accounts not ACTIVE skipped"
    if summary.left_out:
        found += f", {summary.left_out} left out by the inventory"
    if command == "show":
        return f"{found}, {summary.failed} failed"
    if applied:
        done = f"{_count(summary.changed, 'change')} applied"
    else:
        done = f"{_count(summary.planned, 'change')} to make" + (" (dry run)" if dry_run else "")
    more = f", {summary.blocked} blocked" if summary.blocked else ""
    if summary.moved_on:
        more += f", {summary.moved_on} skipped: moved on since the plan"
    if summary.in_doubt:
        more += f", {summary.in_doubt} in doubt"
    return f"{found}, {done}, {summary.unchanged} unchanged{more}, {summary.failed} failed"


class TargetRow(TypedDict):
    """The counts of one target."""

    credentials: str
    account: str
    account_alias: str
    region: str
    groups_scanned: int
    rules_matched: int
    changes: int
    changed: int
    failed: int
    error: str


def _parts(result: TargetResult) -> str:
    """What of a target could not be read, when the rest could."""
    return "; ".join(f"{f.kind} {f.container}".strip() + f": {f.code}" for f in result.failures)


def target_rows(results: Sequence[TargetResult]) -> Iterator[TargetRow]:
    """One row of counts per visited target, in report order."""
    for result in (r for r in results if not r.skipped):
        statuses = [status_of(o) for o in result.outcomes or ()]
        yield TargetRow(
            credentials=result.target.credentials.label,
            account=result.account or result.target.account or "",
            account_alias=result.target.alias or "",
            region=result.target.region,
            groups_scanned=result.groups_scanned,
            rules_matched=len(result.plan.matched),
            changes=len(result.plan.changes),
            changed=statuses.count("applied"),
            failed=statuses.count("failed") + (result.error is not None) + len(result.failures),
            error=str(result.error) if result.error is not None else _parts(result),
        )


class LeftOutRow(TypedDict):
    """An account-region (or a whole account, region "all") --inventory left out."""

    credentials: str
    account: str
    region: str


def left_out_rows(results: Sequence[TargetResult]) -> Iterator[LeftOutRow]:
    """The account-regions the inventory recorded nothing of the range in, in report order."""
    for result in results:
        if result.skipped == LEFT_OUT:
            target = result.target
            account = result.account or target.account or ""
            yield LeftOutRow(credentials=target.credentials.label, account=account,
                             region=target.region)  # fmt: skip
