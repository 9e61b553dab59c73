"""Two operators at once: one run never overwrites what another changed after its scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sgupdater.engine import verify
from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, C, D = "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"


def _groups(aws: Aws) -> list[str]:
    ec2 = aws.ec2()
    vpc = helpers.vpc(ec2)
    ingress = (perm("tcp", 22, cidrs=(A,), description="ssh"), perm("tcp", 443, cidrs=(A,)))
    return [helpers.group(ec2, vpc, f"g{i}", ingress=ingress) for i in range(5)]


def _allowed(aws: Aws, groups: list[str]) -> set[str]:
    return {r[4] for g in groups for r in helpers.rules(aws.ec2(), g) if r[0] == "ingress"}


def _operator(to: str, journal: Path, strategy: str) -> subprocess.Popen[str]:
    """Another operator's run, in a process of its own."""
    command = [sys.executable, "-m", "sgupdater", "update", "--from-cidr", A, "--to-cidr", to]
    command += ["--yes", "--strategy", strategy, "--journal", str(journal), "-o", "json", "-q"]
    return subprocess.Popen(command, env=dict(os.environ), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _statuses(out: str) -> list[str]:
    return sorted({r["status"] for r in json.loads(out)["changes"]})


@pytest.mark.parametrize("strategy", ["modify", "authorize-revoke"])
def test_a_run_landing_between_anothers_scan_and_writes_is_never_overwritten(
    aws: Aws, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str
) -> None:
    groups = _groups(aws)
    first, second = tmp_path / "c.jsonl", tmp_path / "d.jsonl"
    other: dict[str, Any] = {}
    planned = verify.for_plan

    def meanwhile(plan: Any) -> list[verify.Expect]:
        # The interleaving: after this run's scan, before its writes, the other operator's whole
        # run lands. (The real for_plan runs; this only chooses when the other run happens.)
        if not other:
            done = _operator(D, second, strategy)
            other["out"], other["err"] = done.communicate(timeout=120)
            other["code"] = done.returncode
        return planned(plan)

    monkeypatch.setattr(verify, "for_plan", meanwhile)
    run = cli("update", "--from-cidr", A, "--to-cidr", C, "--yes", "--strategy", strategy,
              "--journal", str(first), "-o", "json")  # fmt: skip
    monkeypatch.setattr(verify, "for_plan", planned)
    assert other["code"] == 0, other["err"]
    assert _statuses(other["out"]) == ["applied"]
    # This run read again before writing: every change skipped, saying why; nothing of the
    # other run overwritten; no range lost.
    assert _statuses(run.out) == ["skipped"]
    assert "changed since; not overwritten" in run.out or "is gone since" in run.out
    assert _allowed(aws, groups) == {D}
    # Rollbacks in reverse order give the start back.
    for journal in (first, second):
        if journal.exists():
            assert cli("rollback", str(journal), "--yes").code == 0
    assert _allowed(aws, groups) == {A}


def test_two_runs_at_once_each_report_what_they_did(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    groups = _groups(aws)
    journals = {C: tmp_path / "c.jsonl", D: tmp_path / "d.jsonl"}
    runs = {to: _operator(to, path, "modify") for to, path in journals.items()}
    outs = {to: run.communicate(timeout=120) for to, run in runs.items()}
    ec2 = aws.ec2()
    for group in groups:
        now = {(r[2], r[4]) for r in helpers.rules(ec2, group) if r[0] == "ingress"}
        # Each rule allows exactly one of the new ranges, never the old one, never neither.
        assert len(now) == 2
        assert {cidr for _, cidr in now} <= {C, D}
    for to, (out, err) in outs.items():
        assert "Traceback" not in err
        for row in json.loads(out)["changes"]:
            allowed = {r[4] for r in helpers.rules(ec2, row["group_id"])
                       if r[0] == "ingress" and r[2] == row["from_port"]}  # fmt: skip
            # The range a rule allows now is one its run reports applied. (Both may report
            # applied: each re-read just before its write, and EC2 has no conditional modify,
            # so two writes within one round trip of each other can still both land.)
            if to in allowed:
                assert row["status"] == "applied", row
            else:
                assert row["status"] in ("applied", "skipped"), row
    for path in journals.values():
        if path.exists():
            assert cli("rollback", str(path), "--yes").code == 0
    assert _allowed(aws, groups) == {A}
