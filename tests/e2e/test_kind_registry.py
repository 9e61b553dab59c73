"""A fourth kind, registered in memory, goes through every command with no change elsewhere.

It is what adding a kind costs: one class implementing kinds.interface.Kind and one line in the
registry. Its containers live in a dict; the other kinds still run against the local EC2.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sgupdater import kinds
from sgupdater._types import AccountId, ContainerId, KindName
from sgupdater.kinds.interface import Batch, KindScan, Reading, Safety, Switch, Traits
from sgupdater.models import Applied, Change, Current, Entry, Outcome
from sgupdater.scope import Scope
from tests.e2e.conftest import Cli

A, B, OTHER = "192.0.2.0/24", "198.51.100.0/24", "10.0.0.0/8"


class Notebook:
    """Allow-lists kept in memory: container id → {CIDR text: description}."""

    name = KindName("notebook")
    service = "sts"  # any client will do; this kind never calls it
    switch = None
    allowances: tuple[Switch, ...] = ()
    traits = Traits(has_traffic=False)

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, str | None]] = {"nb-1": {A: "office", OTHER: None}}

    def scan(self, client: Any, reading: Reading) -> KindScan:
        entries = tuple(
            Entry(
                kind=self.name,
                account=AccountId(reading.account or ""),
                region=reading.target.region,
                container_id=ContainerId(page),
                container_name="notes",
                cidr=ipaddress.ip_network(cidr),
                description=description,
            )
            for page, held in self.pages.items()
            for cidr, description in held.items()
            if reading.relevant(ipaddress.ip_network(cidr))
        )
        return KindScan(entries)

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterator[Current]:
        for page in container_ids:
            for cidr, description in self.pages.get(page, {}).items():
                yield Current("", (ContainerId(page), None), cidr, description)

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        page = self.pages[batch.container_id]
        outcomes: dict[int, Outcome] = {}
        record = batch.record
        for index, change in batch.changes:
            if record is not None:
                record.before(change)
            old, new = str(change.entry.cidr), change.new_cidr
            if change.action in ("modify", "revoke"):
                page.pop(old)
            if change.action in ("modify", "authorize") and new is not None:
                page[str(new)] = change.entry.description
            outcomes[index] = Applied()
            if record is not None:
                record.after(change, outcomes[index])
        return outcomes

    def safety(self, rule: Entry) -> Safety:
        """Entries only allow and govern no caller."""
        return Safety()

    def cost(self, change: Change) -> int:
        """No quota."""
        return 0

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        return f"notebook {ident} ({name})"


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> Notebook:
    """The registry with one more kind: its one line."""
    kind = Notebook()
    monkeypatch.setattr(kinds, "KINDS", [*kinds.KINDS, kind])
    return kind


def test_show_update_and_rollback_through_a_registered_kind(
    notebook: Notebook, cli: Cli, tmp_path: Path
) -> None:
    shown = cli("show", "--from-cidr", A, "-o", "json")
    assert shown.code == 0, shown.err
    rows = json.loads(shown.out)["rules"]
    assert [(r["kind"], r["group_id"], r["cidr"], r["description"]) for r in rows] == [
        ("notebook", "nb-1", A, "office")
    ]
    table = cli("show", "--from-cidr", A, "-o", "table")
    assert "notebook nb-1 (notes)" in table.out

    planned = cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "-o", "json")
    assert planned.code == 0, planned.err
    change = json.loads(planned.out)["changes"]
    assert [(c["kind"], c["action"], c["new_cidr"]) for c in change] == [("notebook", "modify", B)]
    assert notebook.pages == {"nb-1": {A: "office", OTHER: None}}

    journal = tmp_path / "run.jsonl"
    done = cli("update", "--from-cidr", A, "--to-cidr", B, "--yes", "--journal", str(journal))
    assert done.code == 0, done.err
    assert notebook.pages == {"nb-1": {B: "office", OTHER: None}}

    back = cli("rollback", str(journal), "--yes")
    assert back.code == 0, back.err
    assert notebook.pages == {"nb-1": {A: "office", OTHER: None}}


def test_a_kind_registered_before_the_command_line_brings_its_switch_and_allowance(
    tmp_path: Path,
) -> None:
    # testkit/scribbles.py registers a kind, then runs the command line: one registry line.
    config = tmp_path / "sgupdater.yaml"
    config.write_text("scope:\n  scribbles: true\n  allow_smudges: true\n")
    asks = {
        "help": ["update", "--help"],
        "plain": ["show", "--from-cidr", A, "--scribbles", "-o", "json"],
        "allowed": ["show", "--from-cidr", A, "--scribbles", "--allow-smudges", "-o", "json"],
        "file": ["show", "--from-cidr", A, "--config", str(config), "-o", "json"],
    }
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "testkit.scribbles", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in asks.items()
    }
    out = {name: run.communicate(timeout=60)[0] for name, run in started.items()}
    assert "--scribbles" in out["help"]
    assert "--allow-smudges" in out["help"]

    def descriptions(name: str) -> list[str]:
        return [r["description"] for r in json.loads(out[name])["rules"]]

    assert descriptions("plain") == ["office"]
    assert descriptions("allowed") == ["office (smudged)"]
    assert descriptions("file") == ["office (smudged)"]
