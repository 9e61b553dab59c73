"""One file rewritten: its findings, its new bytes (only the literals changed), checked."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sgupdater.errors import SgupdaterError
from sgupdater.sources import check, contexts, diffs, syntax
from sgupdater.sources.files import Source
from sgupdater.sources.literals import Decision, Rules, decide, mentions

# Fields whose value is an address, not a range: a bare address there is an item of its own.
BARE_FIELDS = frozenset({"ip", "ip_address", "ipaddress", "address", "addresses", "host"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One range found in a file, and what was (or would be) done with it."""

    path: str
    line: int
    column: int
    old: str
    new: str
    action: str  # "rewrite", "dedupe" or "keep"
    reason: str


@dataclass
class Rewritten:
    """A file's findings, and its bytes before and after (equal when nothing changes)."""

    source: Source
    before: bytes
    after: bytes
    findings: list[Finding] = field(default_factory=list)
    # Why the rewrite cannot be written ("" when it can).
    refused: str = ""
    # Its unified diff, when rewrite_all was asked for one (see diff).
    patch: str = ""

    @property
    def changes(self) -> int:
        """How many literals change."""
        return sum(1 for f in self.findings if f.action != "keep")


def _finding(path: str, literal: contexts.Literal, decision: Decision, reason: str) -> Finding:
    old = literal.text if decision.new is not None else ", ".join(decision.old) or literal.text
    action = decision.action if not reason else "keep"
    new = (decision.new or "") if not reason else ""
    return Finding(path, literal.line, literal.column, old, new, action, reason or decision.reason)


def _edits(
    source: Source, before: bytes, parsed: syntax.Parsed, rules: Rules
) -> Iterator[tuple[contexts.Literal, Finding]]:
    path = str(source.path)
    # A file names the same range again and again: each text is decided once.
    decided: dict[tuple[str, bool], Decision | None] = {}
    for literal in parsed.literals:
        bare = literal.key.lower() in BARE_FIELDS
        if (literal.text, bare) not in decided:
            decided[literal.text, bare] = decide(literal.text, rules, bare=bare)
        decision = decided[literal.text, bare]
        if decision is None and literal.reason.startswith(contexts.INTERPOLATED):
            # A range built at run time: which one cannot be told from the source.
            why = f"{literal.reason}: which range it builds cannot be told from the source"
            yield literal, Finding(path, literal.line, literal.column, literal.text, "", "keep",
                                   why)  # fmt: skip
            continue
        if decision is None:
            continue
        reason = literal.reason
        if (not reason and decision.new is not None
                and syntax.in_list(before, parsed, literal.within, decision.new)):  # fmt: skip
            reason = f"{decision.new} is already in this list: delete this item instead"
        yield literal, _finding(path, literal, decision, reason)


def rewrite(source: Source, rules: Rules) -> Rewritten:
    """The file's findings and rewritten bytes, checked against its own parser."""
    before = source.path.read_bytes()
    done = Rewritten(source, before, before)
    if rules.hints and not any(hint.encode() in before for hint in rules.hints):
        # No spelling of a matched range anywhere in it: nothing to parse.
        return done
    parsed = syntax.parse(source.grammar, before, rules.hints)
    if not parsed.ok:
        done.refused = (
            f"{source.format} does not parse as such (a template?): not read; the range may "
            "stand in it, look at it by hand"
        )
        return done
    changed: list[tuple[contexts.Literal, Finding]] = []
    for literal, found in _edits(source, before, parsed, rules):
        done.findings.append(found)
        if found.action != "keep":
            changed.append((literal, found))
    for comment in parsed.comments:
        for text in mentions(comment.text, rules):
            done.findings.append(Finding(str(source.path), comment.line, comment.column,
                                         text, "", "keep", contexts.COMMENT))  # fmt: skip
    done.findings.sort(key=lambda f: (f.line, f.column))
    if changed:
        edits = [(lit.start, lit.end, f.new) for lit, f in changed]
        done.after = _apply(before, edits)
        done.refused = _checked(source, done, parsed, edits, [(f.old, f.new) for _, f in changed])
    return done


def _apply(before: bytes, edits: Sequence[tuple[int, int, str]]) -> bytes:
    """The bytes with each span replaced, every other byte as it was."""
    out, at = [], 0
    for start, end, text in sorted(edits):
        out += [before[at:start], text.encode()]
        at = end
    out.append(before[at:])
    return b"".join(out)


# Formats read back by a parser of their own (sources/check.py): it says all the grammar's tree
# would, and more (what each value means), so the grammar does not parse the result again.
_OWN_PARSER = frozenset({"json", "yaml", "python"})


def _checked(
    source: Source,
    done: Rewritten,
    parsed: syntax.Parsed,
    edits: Sequence[tuple[int, int, str]],
    pairs: Sequence[tuple[str, str]],
) -> str:
    """Why the rewritten bytes may not be written ("" when they may)."""
    if source.grammar not in _OWN_PARSER:
        # HCL, TypeScript, Ruby: the grammar's tree is their parsed tree (sources/check.py).
        return syntax.reparse(source.grammar, done.before, parsed, done.after, edits)
    try:
        differs = check.differs(source.grammar, done.before.decode("utf-8"),
                                done.after.decode("utf-8"), pairs)  # fmt: skip
    except (ValueError, UnicodeDecodeError) as exc:
        return f"{source.format} cannot be checked by its own parser ({exc}): left as it is"
    return f"the rewrite would change more than the ranges ({differs}): left as it is" if (
        differs) else ""  # fmt: skip


def diff(done: Rewritten, root: Path) -> str:
    """A unified diff `git apply` takes, paths relative to `root` when under it."""
    try:
        name = done.source.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        # Outside the root: the path as given, without a leading "/" (a/ and b/ prefix it).
        name = done.source.path.as_posix().lstrip("/")
    old = done.before.decode("utf-8", "replace").splitlines(keepends=True)
    new = done.after.decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(diffs.unified(name, old, new))
    # git apply needs to be told of a last line without its newline.
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


class ChangedSinceRead(SgupdaterError):
    """The file changed between reading it and writing it: not written."""


def write(done: Rewritten) -> None:
    """Replace the file by its rewritten bytes: atomically, keeping its mode, never through a
    link, and only if it still holds what was read."""
    path = done.source.path
    if path.is_symlink():
        raise ChangedSinceRead("a symbolic link now: not written")
    if path.read_bytes() != done.before:
        raise ChangedSinceRead("changed since it was read: not written")
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(done.after)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Below this many files one process is quicker than starting others.
_SPREAD = 64


def rewrite_all(
    sources: Sequence[Source], rules: Rules, diff_root: Path | None = None
) -> list[Rewritten]:
    """Every file rewritten, in order, with its diff against `diff_root` when given (a file that
    changes and may be written); spread over one process per core for a large tree."""
    workers = min(os.cpu_count() or 1, 8)
    jobs = [(source, rules, diff_root) for source in sources]
    if len(sources) < _SPREAD or workers < 2:
        return [_one(job) for job in jobs]
    chunk = max(1, len(sources) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_one, jobs, chunksize=chunk))


def _one(job: tuple[Source, Rules, Path | None]) -> Rewritten:
    source, rules, diff_root = job
    done = rewrite(source, rules)
    if diff_root is not None and done.changes and not done.refused:
        # Made where the file was rewritten: in parallel, and only the text travels back.
        done.patch = diff(done, diff_root)
    return done
