"""Journals: their schema, one JSON line per event written and flushed before each call, read
back with every line checked and before/after lines paired (a change with no answer is in
doubt).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from sgupdater.errors import ConfigError
from sgupdater.files.changes import (
    JOURNAL_ACTIONS,
    CredentialsRecord,
    ListRecord,
    RuleRecord,
    change_from,
    list_record,
    open_world_refused,
    rule_record,
    target_from,
)
from sgupdater.files.fields import Fields, depth_ok
from sgupdater.files.safe import create_new
from sgupdater.models import (
    Applied,
    Change,
    Failed,
    Outcome,
    Target,
    status_of,
)

JOURNAL_VERSION = 1


# "kept": a whole document a call replaced or deleted, journalled before it (never undone).
Event = Literal["start", "before", "after", "end", "kept"]


class JournalRecord(CredentialsRecord, total=False):
    """One line of the journal; `before`/`after` lines describe one change."""

    format_version: int
    run_id: str
    time: str
    event: Event
    command: str
    account: str | None
    region: str
    action: str
    rule: RuleRecord
    new_cidr: str | None
    prefix_list: ListRecord | None
    outcome: str
    error: str
    # "kept" lines: the container, what the document was, and the document itself.
    container: str
    what: str
    document: Any
    new_rule_id: str | None


def journal_change(command: str, target: Target, change: Change, event: Event) -> JournalRecord:
    """The journal line of a change about to be sent (before) or answered (after)."""
    creds = target.credentials
    return JournalRecord(
        event=event,
        command=command,
        profile=creds.profile,
        role_arn=creds.role_arn,
        external_id=creds.external_id,
        session_name=creds.session_name,
        account=change.entry.account or target.account,
        region=target.region,
        action=change.action,
        rule=rule_record(change.entry),
        new_cidr=str(change.new_cidr) if change.new_cidr is not None else None,
        prefix_list=list_record(change.reference),
    )


def journal_outcome(record: JournalRecord, outcome: Outcome) -> JournalRecord:
    """An `after` line: the change's line with what AWS answered."""
    record["outcome"] = status_of(outcome)
    if isinstance(outcome, Failed):
        record["error"] = f"{outcome.code}: {outcome.message}"
    if isinstance(outcome, Applied):
        record["new_rule_id"] = outcome.new_id
    return record


MAX_BYTES = 256 * 1024 * 1024


def state_dir() -> Path:
    """Where journals go by default: the user's state directory (XDG_STATE_HOME, ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "sgupdater"


def default_path() -> Path:
    """A new file under the state directory, named by the time it was started."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    # Unique even for runs of one process within a second: a journal is always a new file.
    unique = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return state_dir() / f"journal-{stamp}-{unique}.jsonl"


def started(lines: list[tuple[int, Any]]) -> tuple[str, str]:
    """When the run a journal's lines (as read) record started, and its command."""
    first = lines[0][1] if lines else {}
    return str(first.get("time", "")), str(first.get("command", ""))


def last() -> tuple[Path, list[tuple[int, Any]]]:
    """The newest journal in the state directory of a run that was not itself a rollback, and
    its lines as read."""
    found = sorted(state_dir().glob("journal-*.jsonl"), reverse=True)
    for path in found:
        # Only regular files are read (a device under that name could be read forever).
        if not path.is_file() or path.is_symlink():
            continue
        lines = read(path)
        if started(lines)[1] != "rollback":
            return path, lines
    raise ConfigError(f"--last: no journal of a run that changed something in {state_dir()}")


class Journal:
    """Appends records to a file created 0600, flushed to disk before each call returns."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self.run_id = uuid.uuid4().hex
        self._lock = threading.Lock()
        # No credentials are ever written, but the file maps a firewall: new and owner-only.
        self._file = os.fdopen(create_new(path, "journal"), "a", encoding="utf-8")

    def _write(self, record: JournalRecord) -> None:
        record["format_version"] = JOURNAL_VERSION
        record["run_id"] = self.run_id
        record["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        line = json.dumps(record, sort_keys=True)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def start(self) -> None:
        """Mark the start of an applying run."""
        self._write(JournalRecord(event="start", command=self.command))

    def end(self) -> None:
        """Mark the end of the run and close the file."""
        self._write(JournalRecord(event="end", command=self.command))
        self._file.close()

    def before(self, target: Target, change: Change) -> None:
        """Record a change about to be sent."""
        self._write(journal_change(self.command, target, change, "before"))

    def after(self, target: Target, change: Change, outcome: Outcome) -> None:
        """Record what AWS answered for a change."""
        self._write(journal_outcome(journal_change(self.command, target, change, "after"), outcome))

    def kept(self, target: Target, container: str, what: str, document: Any) -> None:
        """Record a whole document a call is about to replace or delete (for the record only)."""
        record = JournalRecord(
            event="kept", command=self.command, region=target.region, account=target.account,
            container=container, what=what, document=document,
        )  # fmt: skip
        self._write(record)


class TargetJournal:
    """The journal seen from one target: what the applier reports to."""

    def __init__(self, journal: Journal, target: Target) -> None:
        self.journal = journal
        self.target = target

    def before(self, change: Change) -> None:
        """Record a change about to be sent."""
        self.journal.before(self.target, change)

    def after(self, change: Change, outcome: Outcome) -> None:
        """Record its outcome."""
        self.journal.after(self.target, change, outcome)

    def kept(self, container: str, what: str, document: Any) -> None:
        """Record a whole document about to be replaced or deleted."""
        self.journal.kept(self.target, container, what, document)


def read(path: Path) -> list[tuple[int, Any]]:
    """A journal file's lines as JSON, numbered; a bad file is a ConfigError naming the line."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"{path}: {size} bytes is more than a journal holds")
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a journal (not UTF-8 text)") from None
    found: list[tuple[int, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                # A run killed mid-write leaves a torn last line; what came before stands.
                break
            raise ConfigError(f"{path}:{number}: not a journal line (invalid JSON)") from None
        except RecursionError:
            raise ConfigError(f"{path}:{number}: nested too deeply to be a journal line") from None
        if not isinstance(record, dict) or record.get("format_version") != JOURNAL_VERSION:
            raise ConfigError(
                f"{path}:{number}: not a sgupdater journal of format version {JOURNAL_VERSION}"
            )
        found.append((number, record))
    return found


# What a before line and its after line both say; the rest is the answer or bookkeeping.
_ANSWER = ("event", "time", "outcome", "error", "new_rule_id", "format_version")


@dataclass(frozen=True, slots=True)
class Journalled:
    """A change the journal says was made, or may have been (in doubt), checked."""

    line: int
    target: Target
    change: Change
    # What the call created: a new rule's id, a created list's id ("" when none or unknown).
    new_id: str = ""
    in_doubt: bool = False


def _content(record: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in record.items() if k not in _ANSWER}, sort_keys=True)


def _identity(record: dict[str, Any]) -> str:
    """Which change a line is about, whatever else an edit changed in it."""
    rule = record.get("rule") or {}
    listed = record.get("prefix_list") or {}
    keys = (
        record.get("run_id"), record.get("account"), record.get("region"),
        record.get("profile"), record.get("role_arn"), record.get("action"),
        rule.get("kind"), rule.get("group_id"), rule.get("rule_id"), rule.get("cidr"),
        listed.get("name"),
    )  # fmt: skip
    return json.dumps(keys)


def _restored(name: str, item: Journalled, open_world: bool) -> None:
    # Undoing a modify or a revoke allows the rule's old CIDR again: the journal's word.
    old = item.change.entry.cidr
    if item.change.action in ("modify", "revoke") and old.prefixlen == 0 and not open_world:
        claim = "the journal claims the rule allowed"
        raise open_world_refused(f"{name}:{item.line}", old, claim)


def journalled(name: str, lines: list[tuple[int, Any]], *, open_world: bool) -> list[Journalled]:
    """The applied and in-doubt changes of a journal, in the order they were journalled."""
    waiting: dict[str, list[tuple[Journalled, str]]] = defaultdict(list)
    made: list[Journalled] = []
    for number, record in lines:
        where = f"{name}:{number}"
        depth_ok(where, record)
        fields = Fields(where, record)
        event = fields.choice("event", ("start", "before", "after", "end", "kept"))
        if event in ("start", "end", "kept"):
            # A kept document is for the record: rollback restores values, not documents.
            continue
        target = target_from(fields)
        change = change_from(fields, target, actions=JOURNAL_ACTIONS, open_world=True)
        item = Journalled(number, target, change)
        if event == "before":
            waiting[_identity(record)].append((item, _content(record)))
            continue
        outcome = fields.choice("outcome", ("applied", "skipped", "failed"))
        befores = waiting[_identity(record)]
        if not befores:
            if outcome == "applied":
                raise ConfigError(f"{where}: an applied change with no before line: edited?")
            continue  # settled without a call (skipped, interrupted): nothing was sent
        before, content = befores.pop()
        if content != _content(record):
            raise ConfigError(
                f"{where}: this after line disagrees with its before line {before.line} "
                "on the change: the journal was edited"
            )
        if outcome == "applied":
            new_id = fields.text("new_rule_id", optional=True)
            made.append(Journalled(before.line, target, change, new_id))
    doubts = [replace(item, in_doubt=True) for items in waiting.values() for item, _ in items]
    found = sorted(made + doubts, key=lambda item: item.line)
    for item in found:
        _restored(name, item, open_world)
    return found
