"""Interrupted runs: SIGINT/SIGTERM stop after the calls in flight; kill -9 and re-run converge."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from testkit.proxy import LatencyProxy
from tests.e2e.conftest import Aws

A, B = "192.0.2.0/24", "198.51.100.0/24"
GROUPS = 12


@pytest.fixture
def slow(aws: Aws) -> Iterator[str]:
    """The local endpoint behind 0.25 s of latency per call, so a run can be caught mid-way."""
    proxy = LatencyProxy(aws.url, 0.25).start()
    yield proxy.url
    proxy.stop()


def seed(aws: Aws) -> list[str]:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    return [
        helpers.group(ec2, v, f"g{i}", ingress=(perm(cidrs=(A,), description=f"d{i}"),))
        for i in range(GROUPS)
    ]


def start(endpoint: str, journal: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint)
    command = [sys.executable, "-m", "sgupdater", "update", "--yes"]
    command += ["--from-cidr", A, "--to-cidr", B]
    command += ["--concurrency", "1", "--journal", str(journal), "-o", "json"]
    return subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for_applied(journal: Path, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"event": "after"') >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the run never got going")


def events(journal: Path) -> list[dict[str, object]]:
    lines = journal.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def state(aws: Aws, groups: list[str]) -> list[set[helpers.RuleView]]:
    return [helpers.rules(aws.ec2(), g) for g in groups]


def done(aws: Aws, groups: list[str]) -> bool:
    return all(
        ("ingress", "tcp", 22, 22, B, f"d{i}") in rules
        and ("ingress", "tcp", 22, 22, A, f"d{i}") not in rules
        for i, rules in enumerate(state(aws, groups))
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_after_the_call_in_flight_and_a_rerun_finishes(
    aws: Aws, slow: str, tmp_path: Path, signum: int
) -> None:
    groups = seed(aws)
    journal = tmp_path / "run.jsonl"
    process = start(slow, journal)
    wait_for_applied(journal, 2)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    records = events(journal)
    assert records[-1]["event"] == "end"
    befores = [r for r in records if r["event"] == "before"]
    afters = [r for r in records if r["event"] == "after"]
    assert len(befores) == len([r for r in afters if r["outcome"] == "applied"])
    applied = len(befores)
    assert 2 <= applied < GROUPS
    rows = json.loads(out)["changes"]
    assert sum(r["status"] == "applied" for r in rows) == applied
    assert sum(r["status"] == "skipped" for r in rows) == GROUPS - applied
    # What the journal says was applied is what EC2 holds.
    changed = sum(
        ("ingress", "tcp", 22, 22, B, f"d{i}") in r for i, r in enumerate(state(aws, groups))
    )
    assert changed == applied
    rerun = start(aws.url, tmp_path / "rerun.jsonl")
    _, rerun_err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, rerun_err
    assert done(aws, groups)


def test_kill_9_mid_apply_then_a_rerun_converges(aws: Aws, slow: str, tmp_path: Path) -> None:
    groups = seed(aws)
    journal = tmp_path / "run.jsonl"
    process = start(slow, journal)
    wait_for_applied(journal, 3)
    process.kill()
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    records = events(journal)
    applied = {r["rule"]["group_id"] for r in records if r.get("outcome") == "applied"}  # type: ignore[index]
    for group in applied:
        assert ("ingress", "tcp", 22, 22, B) in {r[:5] for r in helpers.rules(aws.ec2(), group)}
    rerun = start(aws.url, tmp_path / "rerun.jsonl")
    _, rerun_err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, rerun_err
    assert done(aws, groups)
    for rules in state(aws, groups):
        keys = [(r[0], r[1], r[2], r[3], r[4]) for r in rules]
        assert len(keys) == len(set(keys))
