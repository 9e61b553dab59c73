"""The terminal tables of every command, and the cells they (and Markdown) are made of."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from sgupdater import kinds
from sgupdater.models import TargetResult
from sgupdater.output.layout import Column, fit
from sgupdater.output.rows import ChangeRow, RuleRow, change_rows, rule_rows, target_rows


def ports(protocol: str, from_port: int, to_port: int) -> str:
    """Ports as a person reads them."""
    if protocol == "-1":
        return "all"
    if protocol in ("icmp", "icmpv6"):
        return "all" if from_port == -1 else f"type {from_port} code {to_port}"
    return str(from_port) if from_port == to_port else f"{from_port}-{to_port}"


def account_cell(account: str, alias: str) -> str:
    return f"{account} ({alias})" if alias else account


def where_cell(row: RuleRow | ChangeRow) -> str:
    """The container cell: what it is, as its kind shows it, and whether IaC manages it."""
    kind = kinds.get(row["kind"])
    name = kind.container_cell(
        row["group_id"], row["group_name"], row["rule_id"], row["rule_action"]
    )
    return f"{name} [managed: {row['managed']}]" if row["managed"] else name


def traffic_cells(row: RuleRow | ChangeRow) -> tuple[str, str, str]:
    """Direction, protocol and ports; an entry with no traffic of its own has none."""
    if not kinds.get(row["kind"]).traits.has_traffic:
        return ("", "", "")
    protocol = "all" if row["protocol"] == "-1" else row["protocol"]
    return (row["direction"], protocol, ports(row["protocol"], row["from_port"], row["to_port"]))


def old_cell(row: ChangeRow) -> str:
    # An entry allowed again (a rollback undoing a revoke) replaces nothing.
    again = row["action"] == "authorize" and row["old_cidr"] == row["new_cidr"]
    return "(none)" if again else row["old_cidr"]


def new_cell(row: ChangeRow) -> str:
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
            account_cell(r["account"], r["account_alias"]),
            r["region"],
            str(r["groups_scanned"]),
            str(r["rules_matched"]),
            *[str(r["changed"] if table == "applied" else r["changes"]) for _ in done],
            f"{r['failed']} {r['error']}".strip() if r["failed"] else "0",
        )
        for r in target_rows(results)
    ]
    fit(console, columns, rows, title="Per target")


RULE_COLUMNS = [
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


def rules_table(console: Console, results: Sequence[TargetResult]) -> None:
    if not any(r.plan.matched for r in results):
        console.print("No matching rules.")
        return
    fit(console, RULE_COLUMNS, [rule_cells(r) for r in rule_rows(results)])


def rule_cells(r: RuleRow) -> tuple[str, ...]:
    """A matched rule's cells, in RULE_COLUMNS order."""
    return (
        account_cell(r["account"], r["account_alias"]),
        r["region"],
        where_cell(r),
        r["vpc_id"],
        *traffic_cells(r),
        r["cidr"],
        r["description"],
    )


CHANGE_COLUMNS = [
    *RULE_COLUMNS[:3],
    *RULE_COLUMNS[4:7],
    Column("Old → New", keep=True),
    Column("Action", brief=True),
    Column("Status", brief=True),
    Column("Note"),
]


def change_cells(r: ChangeRow) -> tuple[str, ...]:
    """A change's cells, in CHANGE_COLUMNS order."""
    plain = r["action"] == "modify" and r["status"] not in ("failed", "blocked")
    note = "" if plain and r["detail"] == "replace in place" else r["detail"]
    blocked = r["status"] in ("blocked", "kept")
    return (
        account_cell(r["account"], r["account_alias"]),
        r["region"],
        where_cell(r),
        *traffic_cells(r),
        f"{old_cell(r)} → {'(unchanged)' if blocked else new_cell(r)}",
        "none" if blocked else r["action"],
        r["status"],
        note,
    )


def changes_table(console: Console, results: Sequence[TargetResult]) -> None:
    if not any(r.plan.changes or r.plan.blocked or r.plan.kept for r in results):
        console.print("Nothing to change.")
        return
    fit(console, CHANGE_COLUMNS, [change_cells(r) for r in change_rows(results)])
