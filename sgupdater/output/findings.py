"""What `rewrite` found, as a diff, a JSON document and lines on stderr."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import IO

from sgupdater import __version__
from sgupdater.output import streamed
from sgupdater.sources.rewrite import Finding, Rewritten

# 1: findings (file, line, column, old, new, action, reason), files, summary.
FORMAT_VERSION = 1
_FIELDS = [field.name for field in dataclasses.fields(Finding)]


def diffs(out: IO[str], results: Sequence[Rewritten]) -> None:
    """The unified diff of every file that changes and may be written (made by rewrite_all)."""
    for done in results:
        out.write(done.patch)


def document(out: IO[str], results: Sequence[Rewritten], left: dict[str, int], wrote: bool) -> None:
    """Every finding, every file read, and the counts, as one JSON document."""
    fields = [
        ("format_version", FORMAT_VERSION),
        ("tool_version", __version__),
        ("command", "rewrite"),
        ("written", wrote),
        ("findings", ({n: getattr(f, n) for n in _FIELDS} for r in results for f in r.findings)),
        ("files", ({"path": str(r.source.path), "format": r.source.format,
                    "changes": r.changes, "refused": r.refused} for r in results)),
        ("left_out", left),
        ("summary", counts(results)),
    ]  # fmt: skip
    streamed.document(out, fields)


def counts(results: Sequence[Rewritten]) -> dict[str, int]:
    """Files read, literals changed, ranges reported, files refused."""
    return {
        "files": len(results),
        "files_changed": sum(1 for r in results if r.changes and not r.refused),
        "changes": sum(r.changes for r in results if not r.refused),
        "reported": sum(1 for r in results for f in r.findings if f.action == "keep"),
        # Not written, or not read at all (it does not parse): the range may still stand there.
        "files_refused": sum(1 for r in results if r.refused),
    }


def lines(results: Sequence[Rewritten], left: dict[str, int], wrote: bool) -> list[str]:
    """The stderr lines: what is left as it is and why, refusals, and the summary."""
    said = [
        f"{f.path}:{f.line}:{f.column}: {f.old}: left as it is: {f.reason}"
        for r in results
        for f in r.findings
        if f.action == "keep"
    ]
    said += [f"{r.source.path}: {r.refused}" for r in results if r.refused]
    n = counts(results)
    kinds = sorted({r.source.format for r in results})
    verb = "rewritten" if wrote else "to rewrite"
    summary = (
        f"{n['files']} file(s) read ({', '.join(kinds) or 'none'}), {n['changes']} literal(s) "
        f"{verb} in {n['files_changed']} file(s), {n['reported']} reported, "
        f"{n['files_refused']} file(s) refused"
    )
    if left:
        summary += "; left out: " + ", ".join(f"{v} {k}" for k, v in sorted(left.items()))
    return [*said, summary]
