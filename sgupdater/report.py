"""Rendering of rules, plans and results as a table, TSV or JSON, and the summary."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import IO, NoReturn, TypedDict

from rich.console import Console
from rich.table import Table

from sgupdater import __version__
from sgupdater.models import Failed, Rule, Skipped, TargetResult, status_of

JSON_FORMAT_VERSION = 1


def assert_never(value: NoReturn) -> NoReturn:
    """Make mypy prove a match is exhaustive."""
    raise AssertionError(f"unhandled value: {value!r}")


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


class FailureRow(TypedDict):
    """One target that could not be scanned or changed."""

    profile: str
    role_arn: str
    account: str
    account_alias: str
    region: str
    error_code: str
    message: str


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


def place(rule: Rule) -> Place:
    """The leading columns for a rule."""
    return Place(
        account=rule.account,
        region=rule.region,
        vpc_id=rule.vpc_id,
        group_id=rule.group_id,
        group_name=rule.group_name,
        direction=rule.direction,
        protocol=rule.protocol,
        from_port=rule.from_port,
        to_port=rule.to_port,
    )


def rule_row(rule: Rule, alias: str | None = None) -> RuleRow:
    """The output row of a matched rule."""
    return RuleRow(
        **place(rule),
        cidr=str(rule.cidr),
        description=rule.description or "",
        rule_id=rule.rule_id,
        account_alias=alias or "",
    )


def rule_rows(results: Sequence[TargetResult]) -> Iterator[RuleRow]:
    """Every matched rule of every target, in report order."""
    for result in results:
        for rule in result.plan.matched:
            yield rule_row(rule, result.target.alias)


def change_rows(results: Sequence[TargetResult]) -> Iterator[ChangeRow]:
    """Every change of every target with its outcome, in report order."""
    for result in results:
        outcomes = result.outcomes or (None,) * len(result.plan.changes)
        for change, outcome in zip(result.plan.changes, outcomes, strict=True):
            rule = change.rule
            detail = change.reason
            if isinstance(outcome, Skipped):
                detail = outcome.reason
            elif isinstance(outcome, Failed):
                detail = outcome.message
            new_rule_id = getattr(outcome, "new_rule_id", None) or ""
            yield ChangeRow(
                **place(rule),
                old_cidr=str(rule.cidr),
                new_cidr=str(change.new_cidr) if change.new_cidr is not None else "",
                description=rule.description or "",
                rule_id=rule.rule_id,
                action=change.action,
                status=status_of(outcome),
                detail=detail,
                new_rule_id=new_rule_id,
                account_alias=result.target.alias or "",
            )


def failure_rows(results: Sequence[TargetResult]) -> Iterator[FailureRow]:
    """Every target that failed."""
    for result in results:
        if result.error is not None:
            yield FailureRow(
                profile=result.target.credentials.profile or "",
                role_arn=result.target.credentials.role_arn or "",
                account=result.account or result.target.account or "",
                account_alias=result.target.alias or "",
                region=result.target.region,
                error_code=result.error.code,
                message=str(result.error),
            )


def summarise(results: Sequence[TargetResult]) -> Summary:
    """Count what a run found and did."""
    statuses = [row["status"] for row in change_rows(results)]
    return Summary(
        targets=len(results),
        targets_failed=sum(1 for r in results if r.error is not None),
        groups_scanned=sum(r.groups_scanned for r in results),
        rules_matched=sum(len(r.plan.matched) for r in results),
        changes=len(statuses),
        changed=statuses.count("applied"),
        unchanged=sum(len(r.plan.unchanged) for r in results) + statuses.count("skipped"),
        failed=statuses.count("failed") + sum(1 for r in results if r.error is not None),
    )


def summary_line(summary: Summary, *, command: str, applied: bool) -> str:
    """The one-line summary printed at the end of every command."""
    found = (
        f"{summary.targets} target(s), {summary.groups_scanned} groups scanned, "
        f"{summary.rules_matched} rules matched"
    )
    if command == "show":
        return f"{found}, {summary.failed} failed"
    done = f"{summary.changed} changed" if applied else f"{summary.changes} to change (dry run)"
    return f"{found}, {done}, {summary.unchanged} unchanged, {summary.failed} failed"


def ports(protocol: str, from_port: int, to_port: int) -> str:
    """Ports as a person reads them."""
    if protocol == "-1":
        return "all"
    if protocol in ("icmp", "icmpv6"):
        return "all" if from_port == -1 else f"type {from_port} code {to_port}"
    return str(from_port) if from_port == to_port else f"{from_port}-{to_port}"


def _tsv(out: IO[str], header: Sequence[str], rows: Iterator[Sequence[object]]) -> None:
    out.write("\t".join(header) + "\n")
    for row in rows:
        cells = (str(c).replace("\t", " ").replace("\n", " ") for c in row)
        out.write("\t".join(cells) + "\n")


def _account(account: str, alias: str) -> str:
    return f"{account} ({alias})" if alias else account


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


def target_rows(results: Sequence[TargetResult]) -> Iterator[TargetRow]:
    """One row of counts per target, in report order."""
    for result in results:
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
            failed=statuses.count("failed") + (result.error is not None),
            error=str(result.error) if result.error is not None else "",
        )


def targets_table(console: Console, results: Sequence[TargetResult], *, applied: bool) -> None:
    """The per-target summary table."""
    table = Table(header_style="bold", title="Per target")
    done = "Changed" if applied else "To change"
    for title in ("Credentials", "Account", "Region", "Groups", "Matched", done, "Failed"):
        table.add_column(title)
    for r in target_rows(results):
        table.add_row(
            r["credentials"],
            _account(r["account"], r["account_alias"]),
            r["region"],
            str(r["groups_scanned"]),
            str(r["rules_matched"]),
            str(r["changed"] if applied else r["changes"]),
            f"{r['failed']} {r['error']}".strip() if r["failed"] else "0",
        )
    console.print(table)


def _rules_table(console: Console, results: Sequence[TargetResult]) -> None:
    if not any(r.plan.matched for r in results):
        console.print("No matching rules.")
        return
    table = Table(header_style="bold")
    for title in ("Account", "Region", "VPC", "Group", "Dir", "Proto", "Ports", "CIDR", "Desc"):
        table.add_column(title)
    for r in rule_rows(results):
        table.add_row(
            _account(r["account"], r["account_alias"]),
            r["region"],
            r["vpc_id"],
            f"{r['group_id']} ({r['group_name']})",
            r["direction"],
            "all" if r["protocol"] == "-1" else r["protocol"],
            ports(r["protocol"], r["from_port"], r["to_port"]),
            r["cidr"],
            r["description"],
        )
    console.print(table)


def _changes_table(console: Console, results: Sequence[TargetResult]) -> None:
    if not any(r.plan.changes for r in results):
        console.print("Nothing to change.")
        return
    table = Table(header_style="bold")
    titles = ("Account", "Region", "Group", "Dir", "Proto", "Ports", "Old → New", "Action")
    for title in (*titles, "Status", "Note"):
        table.add_column(title)
    for r in change_rows(results):
        new = r["new_cidr"] if r["action"] != "revoke" else "(revoked)"
        note = "" if r["action"] == "modify" and r["status"] != "failed" else r["detail"]
        table.add_row(
            _account(r["account"], r["account_alias"]),
            r["region"],
            f"{r['group_id']} ({r['group_name']})",
            r["direction"],
            "all" if r["protocol"] == "-1" else r["protocol"],
            ports(r["protocol"], r["from_port"], r["to_port"]),
            f"{r['old_cidr']} → {new}",
            r["action"],
            r["status"],
            note,
        )
    console.print(table)


class OutputFormat(str, Enum):
    """The output formats of every command."""

    table = "table"
    tsv = "tsv"
    json = "json"

    def rules_renderer(self) -> Callable[[Console, Sequence[TargetResult]], None]:
        """The function that prints matched rules in this format."""
        if self is OutputFormat.table:
            return _rules_table
        if self is OutputFormat.tsv:
            return lambda c, res: _tsv(
                c.file, list(RuleRow.__annotations__), (list(r.values()) for r in rule_rows(res))
            )
        if self is OutputFormat.json:
            return lambda c, res: _json(c.file, "show", res, dry_run=True)
        assert_never(self)

    def changes_renderer(
        self, command: str, *, dry_run: bool
    ) -> Callable[[Console, Sequence[TargetResult]], None]:
        """The function that prints a plan or its results in this format."""
        if self is OutputFormat.table:
            return _changes_table
        if self is OutputFormat.tsv:
            return lambda c, res: _tsv(
                c.file,
                list(ChangeRow.__annotations__),
                (list(r.values()) for r in change_rows(res)),
            )
        if self is OutputFormat.json:
            return lambda c, res: _json(c.file, command, res, dry_run=dry_run)
        assert_never(self)


def _json(out: IO[str], command: str, results: Sequence[TargetResult], *, dry_run: bool) -> None:
    summary = summarise(results)
    document: dict[str, object] = {
        "format_version": JSON_FORMAT_VERSION,
        "tool_version": __version__,
        "command": command,
        "dry_run": dry_run,
    }
    if command == "show":
        document["rules"] = list(rule_rows(results))
    else:
        document["changes"] = list(change_rows(results))
    document["failures"] = list(failure_rows(results))
    document["targets"] = list(target_rows(results))
    document["summary"] = dataclasses.asdict(summary)
    json.dump(document, out, indent=2)
    out.write("\n")
