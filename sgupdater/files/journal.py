"""The journal: one JSON line per change, written before and after each API call."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sgupdater.errors import ConfigError
from sgupdater.files.records import JOURNAL_VERSION, JournalRecord, journal_change, journal_outcome
from sgupdater.files.safe import create_new
from sgupdater.models import Change, Outcome, Target

MAX_BYTES = 256 * 1024 * 1024


def default_path() -> Path:
    """A new file under the user's state directory (XDG_STATE_HOME or ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    stamp = time.strftime("%Y%m%dT%H%M%S")
    # Unique even for runs of one process within a second: a journal is always a new file.
    unique = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return Path(base) / "sgupdater" / f"journal-{stamp}-{unique}.jsonl"


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
