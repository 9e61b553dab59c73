"""Unified diffs of rewritten files, as `git apply` takes them.

A rewrite replaces text inside lines and never adds or removes one, so the changed lines are
found by comparing the two files line by line, and the hunks (three lines of context, as
`diff -u`) are built from them directly: difflib's matcher took a millisecond a file, thirteen
seconds for ten thousand. Files whose line counts differ go through difflib as before.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

CONTEXT = 3


def _hunks(changed: Sequence[int], total: int) -> Iterator[tuple[int, int]]:
    """[start, end) windows of lines around the changed ones, merged where they touch."""
    start = end = -1
    for line in changed:
        low, high = max(0, line - CONTEXT), min(total, line + CONTEXT + 1)
        if start >= 0 and low <= end:
            end = high
            continue
        if start >= 0:
            yield start, end
        start, end = low, high
    if start >= 0:
        yield start, end


def _span(start: int, length: int) -> str:
    # diff -u numbers from 1; a one-line range is written without its length.
    return f"{start + 1}" if length == 1 else f"{start + 1},{length}"


def unified(name: str, old: Sequence[str], new: Sequence[str]) -> Iterator[str]:
    """The lines of a unified diff between two versions of `name` (lines keep their ends)."""
    if len(old) != len(new):
        yield from difflib.unified_diff(old, new, f"a/{name}", f"b/{name}")
        return
    changed = [n for n, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if not changed:
        return
    yield f"--- a/{name}\n"
    yield f"+++ b/{name}\n"
    for start, end in _hunks(changed, len(old)):
        yield f"@@ -{_span(start, end - start)} +{_span(start, end - start)} @@\n"
        line = start
        while line < end:
            if old[line] == new[line]:
                yield " " + old[line]
                line += 1
                continue
            run = line
            while run < end and old[run] != new[run]:
                run += 1
            yield from ("-" + text for text in old[line:run])
            yield from ("+" + text for text in new[line:run])
            line = run
