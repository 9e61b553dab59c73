"""Markdown for a pull-request comment: counts first, one section per account and region.

GitHub-flavoured Markdown: tables, and `<details>` sections that stay folded once a plan is
long enough that a reviewer wants its counts before its rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import IO, TypeVar

from sgupdater.models import TargetResult
from sgupdater.output import tables
from sgupdater.output.rows import ChangeRow, RuleRow, change_rows, rule_rows

# Beyond this many rows the sections are folded (<details>), so the counts lead.
FOLD_AFTER = 20

# What GFM reads as markup inside a table cell: emphasis, code, links, HTML, columns, strikes.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")

Row = TypeVar("Row", RuleRow, ChangeRow)


def escape(text: str) -> str:
    """Text shown as it is in a table cell: no markup, no HTML, no column break."""
    return _SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def code(text: str) -> str:
    """Text as a code span (a path, a command), fenced by more backticks than it holds."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if fence != "`" else f"`{text}`"


def _table(titles: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(titles) + " |", "|" + " --- |" * len(titles)]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return lines


def _sections(
    rows: Sequence[Row],
    titles: Sequence[str],
    cells: Callable[[Row], Sequence[str]],
    noun: str,
) -> list[str]:
    """One section per account and region (whose cells are left out of its rows)."""
    fold = len(rows) > FOLD_AFTER
    lines: list[str] = []
    for (account, alias, region), group in groupby(
        rows, key=lambda r: (r["account"], r["account_alias"], r["region"])
    ):
        listed = list(group)
        head = f"{tables.account_cell(account, alias)} / {region} — {len(listed)} {noun}"
        body: list[str] = _table(titles, [cells(r)[2:] for r in listed])
        if fold:
            lines += [f"<details><summary>{escape(head)}</summary>", "", *body, "", "</details>"]
        else:
            lines += [f"#### {escape(head)}", "", *body]
        lines.append("")
    return lines


def counts(rows: Sequence[ChangeRow]) -> str:
    """How many changes of each action, and each status where not all are planned."""
    actions = Counter(r["action"] for r in rows if r["status"] not in ("blocked", "kept"))
    text = ", ".join(f"{n} {action}" for action, n in sorted(actions.items()))
    statuses = Counter(r["status"] for r in rows)
    if set(statuses) != {"planned"}:
        text += "; " + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    return text or "nothing"


def extent(rows: Sequence[ChangeRow]) -> str:
    """How many changes, in how many account-regions."""
    places = {(r["account"], r["region"]) for r in rows}
    return f"{len(rows)} changes in {len(places)} account-regions"


def changes(out: IO[str], results: Sequence[TargetResult], heading: str, lead: str = "") -> None:
    """A plan or its results: the heading, a lead line, the counts, then a section per target."""
    rows = list(change_rows(results))
    out.write(f"### {heading}: {extent(rows)}\n\n")
    if lead:
        out.write(f"{lead}\n\n")
    if not rows:
        out.write("Nothing to change.\n")
        return
    out.write(f"**{escape(counts(rows))}**\n\n")
    titles = [c.title for c in tables.CHANGE_COLUMNS[2:]]
    out.write("\n".join(_sections(rows, titles, tables.change_cells, "changes")))


def rules(out: IO[str], results: Sequence[TargetResult]) -> None:
    """Matched rules, a section per target."""
    rows = list(rule_rows(results))
    places = {(r["account"], r["region"]) for r in rows}
    out.write(f"### sgupdater show: {len(rows)} rules in {len(places)} account-regions\n\n")
    if not rows:
        out.write("No matching rules.\n")
        return
    titles = [c.title for c in tables.RULE_COLUMNS[2:]]
    out.write("\n".join(_sections(rows, titles, tables.rule_cells, "rules")))
