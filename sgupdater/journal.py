"""The journal: one JSON line per change, written before and after each API call."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, TypedDict

from sgupdater.errors import ConfigError
from sgupdater.models import (
    Applied,
    Change,
    Credentials,
    Failed,
    Outcome,
    PrefixListRef,
    Rule,
    Target,
    status_of,
)

FORMAT_VERSION = 1
MAX_BYTES = 256 * 1024 * 1024

Event = Literal["start", "before", "after", "end"]


class RuleRecord(TypedDict):
    """A rule as the journal stores it."""

    rule_id: str
    group_id: str
    group_name: str
    vpc_id: str
    direction: str
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    description: str | None
    kind: str
    rule_action: str
    managed: str


class ListRecord(TypedDict):
    """The prefix list a change creates, deletes or points a rule at."""

    name: str
    id: str
    max_entries: int


def list_record(ref: PrefixListRef | None) -> ListRecord | None:
    """The journal's copy of a change's prefix list."""
    if ref is None:
        return None
    return ListRecord(name=ref.name, id=ref.id, max_entries=ref.max_entries)


def list_ref(record: ListRecord | None) -> PrefixListRef | None:
    """A change's prefix list back from its record."""
    if not record:
        return None
    return PrefixListRef(record["name"], record["id"], int(record["max_entries"]))


class CredentialsRecord(TypedDict, total=False):
    """How a journal line or plan file names a target's credentials (never secrets)."""

    profile: str | None
    role_arn: str | None
    external_id: str | None
    session_name: str


def credentials_record(creds: Credentials) -> CredentialsRecord:
    """The record of a target's credentials."""
    return CredentialsRecord(
        profile=creds.profile,
        role_arn=creds.role_arn,
        external_id=creds.external_id,
        session_name=creds.session_name,
    )


def credentials_from(record: Mapping[str, Any]) -> Credentials:
    """A target's credentials back from a journal line or a plan file's target."""
    return Credentials(
        profile=record.get("profile"),
        role_arn=record.get("role_arn"),
        external_id=record.get("external_id"),
        session_name=record.get("session_name") or "sgupdater",
    )


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
    new_rule_id: str | None


def rule_record(rule: Rule) -> RuleRecord:
    """The journal's copy of a rule."""
    return RuleRecord(
        rule_id=rule.rule_id,
        group_id=rule.group_id,
        group_name=rule.group_name,
        vpc_id=rule.vpc_id,
        direction=rule.direction,
        protocol=rule.protocol,
        from_port=rule.from_port,
        to_port=rule.to_port,
        cidr=str(rule.cidr),
        description=rule.description,
        kind=rule.kind,
        rule_action=rule.rule_action,
        managed=rule.managed,
    )


def default_path() -> Path:
    """A new file under the user's state directory (XDG_STATE_HOME or ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return Path(base) / "sgupdater" / f"journal-{stamp}-{os.getpid()}.jsonl"


class Journal:
    """Appends records to a file created 0600, flushed to disk before each call returns."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self.run_id = uuid.uuid4().hex
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # No credentials are ever written, but the file maps a firewall: owner-only.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot write the journal {path}: {exc.strerror or exc}") from None
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def _write(self, record: JournalRecord) -> None:
        record["format_version"] = FORMAT_VERSION
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

    def _change(self, target: Target, change: Change) -> JournalRecord:
        creds = target.credentials
        return JournalRecord(
            command=self.command,
            profile=creds.profile,
            role_arn=creds.role_arn,
            external_id=creds.external_id,
            session_name=creds.session_name,
            account=change.rule.account or target.account,
            region=target.region,
            action=change.action,
            rule=rule_record(change.rule),
            new_cidr=str(change.new_cidr) if change.new_cidr is not None else None,
            prefix_list=list_record(change.prefix_list),
        )

    def before(self, target: Target, change: Change) -> None:
        """Record a change about to be sent."""
        record = self._change(target, change)
        record["event"] = "before"
        self._write(record)

    def after(self, target: Target, change: Change, outcome: Outcome) -> None:
        """Record what AWS answered for a change."""
        record = self._change(target, change)
        record["event"] = "after"
        record["outcome"] = status_of(outcome)
        if isinstance(outcome, Failed):
            record["error"] = f"{outcome.code}: {outcome.message}"
        if isinstance(outcome, Applied):
            record["new_rule_id"] = outcome.new_rule_id
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


def read(path: Path) -> Iterator[JournalRecord]:
    """The records of a journal file; a bad file is a ConfigError naming the line."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"{path}: {size} bytes is more than a journal holds")
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a journal (not UTF-8 text)") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                # A run killed mid-write leaves a torn last line; what came before stands.
                return
            raise ConfigError(f"{path}:{number}: not a journal line (invalid JSON)") from None
        if not isinstance(record, dict) or record.get("format_version") != FORMAT_VERSION:
            raise ConfigError(
                f"{path}:{number}: not a sgupdater journal of format version {FORMAT_VERSION}"
            )
        yield record  # type: ignore[misc]  # checked above: a dict of our format
