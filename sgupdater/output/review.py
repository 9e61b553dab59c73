"""A saved plan as a reviewer reads it: its digest first, counts, the changes by account and
region, and the exact command that applies this plan and no other."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import IO

from rich.console import Console
from rich.text import Text

from sgupdater import __version__
from sgupdater.models import TargetResult
from sgupdater.output import markdown, tables
from sgupdater.output.layout import fit
from sgupdater.output.report import JSON_FORMAT_VERSION, OutputFormat, neutral
from sgupdater.output.rows import ChangeRow, change_rows


@dataclass(frozen=True, slots=True)
class PlanView:
    """What a review shows of a plan file: where it is, its SHA-256, what made it, its plans."""

    path: str
    sha256: str
    command: str
    created: str
    results: Sequence[TargetResult]

    @property
    def apply_command(self) -> str:
        """The command that applies exactly this plan (refused if the file changes)."""
        return f"sgupdater apply {shlex.quote(self.path)} --sha256 {self.sha256}"

    @property
    def made(self) -> str:
        """What made the plan, and when."""
        return f"{self.command or 'a'} plan" + (f", created {self.created}" if self.created else "")

    def about(self, rows: Sequence[ChangeRow]) -> str:
        """One line: what made the plan, when, and how much it changes where."""
        return f"{self.made}: {markdown.extent(rows)} ({markdown.counts(rows)})"


def show(console: Console, fmt: OutputFormat, view: PlanView) -> None:
    """Render the plan in the format asked for."""
    rows = list(change_rows(view.results))
    if fmt is OutputFormat.json:
        _json(console.file, view, rows)
    elif fmt is OutputFormat.markdown:
        _markdown(console.file, view)
    elif fmt is OutputFormat.tsv:
        OutputFormat.tsv.changes_renderer(view.command, dry_run=True)(console, view.results)
    else:
        _table(console, view, rows)


def _table(console: Console, view: PlanView, rows: list[ChangeRow]) -> None:
    # The path and the digest are copied as they are: never folded.
    console.print(Text(f"Plan {view.path}", style="bold"), soft_wrap=True)
    console.print(Text(f"sha256 {view.sha256}"), soft_wrap=True)
    console.print(Text(view.about(rows)))
    columns = tables.CHANGE_COLUMNS[2:]
    for (account, alias, region), group in groupby(
        rows, key=lambda r: (r["account"], r["account_alias"], r["region"])
    ):
        listed = [tables.change_cells(r)[2:] for r in group]
        title = f"{tables.account_cell(account, alias)} / {region}: {len(listed)} changes"
        console.print()
        fit(console, columns, listed, title=title)
    console.print()
    console.print(Text("To apply exactly this plan:"))
    # One line, whatever the width: it is copied as it is.
    console.print(Text(f"  {view.apply_command}"), soft_wrap=True)


def _markdown(out: IO[str], view: PlanView) -> None:
    lead = f"`sha256 {view.sha256}` · {markdown.escape(view.made)}"
    markdown.changes(out, view.results, f"sgupdater plan {markdown.code(view.path)}", lead)
    out.write(f"\nTo apply exactly this plan:\n\n```sh\n{view.apply_command}\n```\n")


def _json(out: IO[str], view: PlanView, rows: list[ChangeRow]) -> None:
    document = {
        "format_version": JSON_FORMAT_VERSION,
        "tool_version": __version__,
        "plan": {
            "path": view.path,
            "sha256": view.sha256,
            "command": view.command,
            "created": view.created or None,
            "changes": len(rows),
        },
        "changes": [neutral(r) for r in rows],
        "apply": view.apply_command,
    }
    out.write(json.dumps(document, indent=2) + "\n")
