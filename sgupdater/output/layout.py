"""Tables that never cut what an operator approves: a table when it fits, else one block a row.

rich shrinks every column, ids and CIDRs included, when a table is wider than the console
(`Table._calculate_column_widths`: wrappable columns first, then all of them evenly). The
columns marked `keep` (accounts, regions, container ids, CIDRs) are therefore measured first:
if they cannot be shown whole beside the narrowest readable other columns, every row is
printed as a block of `title: value` lines instead, which wraps only between words (no value
shown whole is longer than a console is wide: an IPv6 CIDR pair is 89 characters at most).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

# The narrowest a wrappable column (a description, a note) is squeezed to before blocks win.
NARROWEST = 10
# Where no terminal says how wide to be (a CI log, a file): wide enough never to fold a row.
UNBOUNDED = 1000


def console(file: TextIO | None = None) -> Console:
    """A console on stdout or stderr: the terminal's width, else $COLUMNS, else unbounded."""
    stream = file or sys.stdout
    columns = os.environ.get("COLUMNS", "")
    width = None if stream.isatty() or columns.isdigit() else UNBOUNDED
    return Console(file=stream, width=width, highlight=False)


@dataclass(frozen=True, slots=True)
class Column:
    """A column's title; keep: its values are shown whole (never cut nor folded); brief: a
    short value that reads without its title (a direction, a status)."""

    title: str
    keep: bool = False
    brief: bool = False


def _needed(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> tuple[int, list[int]]:
    """The table's narrowest width that shows every kept value whole, and each column's."""
    widths = []
    for n, column in enumerate(columns):
        longest = max([cell_len(column.title), *(cell_len(row[n]) for row in rows)])
        widths.append(longest if column.keep else min(longest, NARROWEST))
    # rich's default box: one border between and around columns, one space of padding a side.
    return sum(widths) + 3 * len(columns) + 1, widths


def fit(
    out: Console, columns: Sequence[Column], rows: Sequence[Sequence[str]], title: str = ""
) -> None:
    """Print the rows as a table if the kept columns fit whole in the console, else as blocks."""
    needed, widths = _needed(columns, rows)
    if needed > out.width:
        _blocks(out, columns, rows, title)
        return
    table = Table(header_style="bold", title=title or None)
    for column, width in zip(columns, widths, strict=True):
        if column.keep:
            table.add_column(column.title, no_wrap=True, min_width=width)
        else:
            table.add_column(column.title)
    for row in rows:
        # Cells are data (descriptions, names), never rich markup: "[prod]" prints as it is.
        table.add_row(*(Text(cell) for cell in row))
    out.print(table)


def _blocks(
    out: Console, columns: Sequence[Column], rows: Sequence[Sequence[str]], title: str
) -> None:
    """One block a row: the leading kept values (where it is) on one line, the brief ones on
    the next, then each other value on a line of its own with its title."""
    lead = next((n for n, c in enumerate(columns) if not c.keep), len(columns))
    if title:
        out.print(Text(title, style="bold"))
    for row in rows:
        out.print(Text("- " + "  ".join(cell for cell in row[:lead] if cell), style="bold"))
        rest = list(zip(columns[lead:], row[lead:], strict=True))
        brief = "  ".join(cell for column, cell in rest if column.brief and cell)
        if brief:
            out.print(Text(f"  {brief}"))
        for column, cell in rest:
            if cell and not column.brief:
                out.print(Text(f"  {column.title}: {cell}"))
