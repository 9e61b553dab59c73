"""Rendering of rules, plans and results as a table, TSV or JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import IO, Any, NoReturn

from rich.console import Console

from sgupdater import __version__, kinds
from sgupdater.models import TargetResult
from sgupdater.output.layout import Column, fit
from sgupdater.output.rows import (
    ChangeRow,
    RuleRow,
    change_rows,
    failure_rows,
    rule_rows,
    summarise,
    target_rows,
)

# 2: rows, targets and the summary gain the neutral names (container, container_id, ...);
# the security-group names of version 1 stay beside them for this version.
JSON_FORMAT_VERSION = 2


def neutral(row: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON row with the neutral names beside the version-1 ones (format_version 2)."""
    named = dict(row)
    if "kind" in row:
        named["container"] = kinds.get(row["kind"]).traits.container
        named["container_id"] = row["group_id"]
        named["container_name"] = row["group_name"]
        named["entry_id"] = row["rule_id"]
        if "new_rule_id" in row:
            named["new_entry_id"] = row["new_rule_id"]
    if "groups_scanned" in row:
        named["containers_scanned"] = row["groups_scanned"]
        named["entries_matched"] = row["rules_matched"]
    return named


def assert_never(value: NoReturn) -> NoReturn:
    """Make mypy prove a match is exhaustive."""
    raise AssertionError(f"unhandled value: {value!r}")


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


def _where(row: RuleRow | ChangeRow) -> str:
    """The container cell: what it is, as its kind shows it, and whether IaC manages it."""
    kind = kinds.get(row["kind"])
    name = kind.container_cell(
        row["group_id"], row["group_name"], row["rule_id"], row["rule_action"]
    )
    return f"{name} [managed: {row['managed']}]" if row["managed"] else name


def _traffic(row: RuleRow | ChangeRow) -> tuple[str, str, str]:
    """Direction, protocol and ports; an entry with no traffic of its own has none."""
    if not kinds.get(row["kind"]).traits.has_traffic:
        return ("", "", "")
    protocol = "all" if row["protocol"] == "-1" else row["protocol"]
    return (row["direction"], protocol, ports(row["protocol"], row["from_port"], row["to_port"]))


def _old(row: ChangeRow) -> str:
    # An entry allowed again (a rollback undoing a revoke) replaces nothing.
    again = row["action"] == "authorize" and row["old_cidr"] == row["new_cidr"]
    return "(none)" if again else row["old_cidr"]


def _new(row: ChangeRow) -> str:
    if row["action"] == "create":
        return "(held by the new list)"
    if row["action"] in ("revoke", "delete"):
        return "(revoked)" if row["action"] == "revoke" else "(list deleted)"
    if row["prefix_list_name"] and not row["new_cidr"]:
        # A rule pointed at a list (migrate): the list is what it allows now.
        return f"{row['prefix_list_id'] or '(new)'} ({row['prefix_list_name']})"
    return row["new_cidr"]


def targets_table(console: Console, results: Sequence[TargetResult], table: str) -> None:
    """The per-target summary table of a `show`, a `plan` or what was `applied`."""
    done = {"applied": ["Changed"], "plan": ["To change"], "show": []}[table]
    titles = ("Credentials", "Account", "Region", "Containers", "Matched", *done, "Failed")
    columns = [Column(t, keep=n < 3) for n, t in enumerate(titles)]
    rows = [
        (
            r["credentials"],
            _account(r["account"], r["account_alias"]),
            r["region"],
            str(r["groups_scanned"]),
            str(r["rules_matched"]),
            *[str(r["changed"] if table == "applied" else r["changes"]) for _ in done],
            f"{r['failed']} {r['error']}".strip() if r["failed"] else "0",
        )
        for r in target_rows(results)
    ]
    fit(console, columns, rows, title="Per target")


_RULE_COLUMNS = [
    Column("Account", keep=True),
    Column("Region", keep=True),
    Column("Container", keep=True),
    Column("VPC"),
    Column("Dir", brief=True),
    Column("Proto", brief=True),
    Column("Ports", brief=True),
    Column("CIDR", keep=True),
    Column("Desc"),
]


def _rules_table(console: Console, results: Sequence[TargetResult]) -> None:
    if not any(r.plan.matched for r in results):
        console.print("No matching rules.")
        return
    rows = [
        (
            _account(r["account"], r["account_alias"]),
            r["region"],
            _where(r),
            r["vpc_id"],
            *_traffic(r),
            r["cidr"],
            r["description"],
        )
        for r in rule_rows(results)
    ]
    fit(console, _RULE_COLUMNS, rows)


_CHANGE_COLUMNS = [
    *_RULE_COLUMNS[:3],
    *_RULE_COLUMNS[4:7],
    Column("Old → New", keep=True),
    Column("Action", brief=True),
    Column("Status", brief=True),
    Column("Note"),
]


def _change_cells(r: ChangeRow) -> tuple[str, ...]:
    plain = r["action"] == "modify" and r["status"] not in ("failed", "blocked")
    note = "" if plain and r["detail"] == "replace in place" else r["detail"]
    blocked = r["status"] in ("blocked", "kept")
    return (
        _account(r["account"], r["account_alias"]),
        r["region"],
        _where(r),
        *_traffic(r),
        f"{_old(r)} → {'(unchanged)' if blocked else _new(r)}",
        "none" if blocked else r["action"],
        r["status"],
        note,
    )


def _changes_table(console: Console, results: Sequence[TargetResult]) -> None:
    if not any(r.plan.changes or r.plan.blocked or r.plan.kept for r in results):
        console.print("Nothing to change.")
        return
    fit(console, _CHANGE_COLUMNS, [_change_cells(r) for r in change_rows(results)])


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
        self, command: str, *, dry_run: bool, journal: Path | None = None
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
            return lambda c, res: _json(c.file, command, res, dry_run=dry_run, journal=journal)
        assert_never(self)


def _json(
    out: IO[str],
    command: str,
    results: Sequence[TargetResult],
    *,
    dry_run: bool,
    journal: Path | None = None,
) -> None:
    document: dict[str, object] = {
        "format_version": JSON_FORMAT_VERSION,
        "tool_version": __version__,
        "command": command,
        "dry_run": dry_run,
    }
    if command != "show":
        # The journal of the writes, for rollback; null when nothing was sent.
        document["journal"] = str(journal) if journal is not None else None
    listed = rule_rows(results) if command == "show" else change_rows(results)
    fields = [
        *document.items(),
        ("rules" if command == "show" else "changes", map(neutral, listed)),
        ("failures", failure_rows(results)),
        ("targets", map(neutral, target_rows(results))),
        ("summary", neutral(dataclasses.asdict(summarise(results)))),
    ]
    # Written field by field and row by row: a plan of a big account is never one big
    # object in memory, and the document reads as json.dump(indent=2) would write it.
    out.write("{")
    for n, (name, value) in enumerate(fields):
        out.write(("\n" if n == 0 else ",\n") + f"  {json.dumps(name)}: ")
        if not isinstance(value, Iterator):
            out.write(json.dumps(value, indent=2).replace("\n", "\n  "))
            continue
        empty = True
        for row in value:
            out.write(("[\n" if empty else ",\n") + "    ")
            out.write(json.dumps(row, indent=2).replace("\n", "\n    "))
            empty = False
        out.write("[]" if empty else "\n  ]")
    out.write("\n}\n")
