"""Rendering of rules, plans and results as a table, TSV or JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import IO, Any, NoReturn

from rich.console import Console

from sgupdater import __version__, kinds
from sgupdater.models import TargetResult
from sgupdater.output import markdown, streamed, tables
from sgupdater.output.rows import (
    ChangeRow,
    RuleRow,
    change_rows,
    failure_rows,
    left_out_rows,
    rule_rows,
    summarise,
    target_rows,
)

# More fields of the JSON report, made from the run's results (e.g. --source's places).
Extra = Callable[[Sequence[TargetResult]], list[tuple[str, object]]]

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


def _tsv(out: IO[str], header: Sequence[str], rows: Iterator[Sequence[object]]) -> None:
    out.write("\t".join(header) + "\n")
    for row in rows:
        cells = (str(c).replace("\t", " ").replace("\n", " ") for c in row)
        out.write("\t".join(cells) + "\n")


class OutputFormat(str, Enum):
    """The output formats of every command."""

    table = "table"
    tsv = "tsv"
    json = "json"
    markdown = "markdown"

    def rules_renderer(
        self, extra: Extra | None = None
    ) -> Callable[[Console, Sequence[TargetResult]], None]:
        """The function that prints matched rules in this format (`extra`: more JSON fields)."""
        if self is OutputFormat.table:
            return tables.rules_table
        if self is OutputFormat.tsv:
            return lambda c, res: _tsv(
                c.file, list(RuleRow.__annotations__), (list(r.values()) for r in rule_rows(res))
            )
        if self is OutputFormat.json:
            return lambda c, res: _json(c.file, "show", res, dry_run=True, extra=extra)
        if self is OutputFormat.markdown:
            return lambda c, res: markdown.rules(c.file, res)
        assert_never(self)

    def changes_renderer(
        self,
        command: str,
        *,
        dry_run: bool,
        journal: Path | None = None,
        extra: Extra | None = None,
    ) -> Callable[[Console, Sequence[TargetResult]], None]:
        """The function that prints a plan or its results in this format (`extra`: more JSON
        fields)."""
        if self is OutputFormat.table:
            return tables.changes_table
        if self is OutputFormat.tsv:
            return lambda c, res: _tsv(
                c.file,
                list(ChangeRow.__annotations__),
                (list(r.values()) for r in change_rows(res)),
            )
        if self is OutputFormat.json:
            return lambda c, res: _json(
                c.file, command, res, dry_run=dry_run, journal=journal, extra=extra
            )
        if self is OutputFormat.markdown:
            what = f"sgupdater {command}" + (" (dry run)" if dry_run else "")
            return lambda c, res: markdown.changes(c.file, res, what)
        assert_never(self)


def _json(
    out: IO[str],
    command: str,
    results: Sequence[TargetResult],
    *,
    dry_run: bool,
    journal: Path | None = None,
    extra: Extra | None = None,
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
    left = list(left_out_rows(results))
    if left:
        # --inventory: the account-regions it recorded nothing of the range in (not read).
        fields.insert(-1, ("left_out", iter(left)))
    if extra is not None:
        # --source: where code-owned containers' ranges stand in the sources.
        fields[-1:-1] = extra(results)
    # Field by field and row by row: a plan of a big account is never one object in memory.
    streamed.document(out, fields)
