"""Faults on a share of the calls: throttling, 500/503, connection resets, slow answers.

Every change is one API call on one rule, retried by the SDK; so an update converges, in one
run or in a re-run after reported failures, to exactly the expected rules, and the journal
tells what happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit import helpers
from testkit.helpers import perm
from testkit.proxy import LatencyProxy
from tests.e2e.conftest import Aws

A, B = "192.0.2.0/24", "198.51.100.0/24"
PORTS = [("tcp", 22), ("tcp", 443), ("udp", 53), ("-1", None)]
# A seed whose draws meet every kind of fault over 8 groups (the draws are in call order:
# --concurrency 1 keeps that order).
SEED = 6


def run(endpoint: str, journal: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint)
    command = [sys.executable, "-m", "sgupdater", "update", "--yes"]
    command += ["--from-cidr", A, "--to-cidr", B]
    command += ["--journal", str(journal), "-o", "json", *extra]
    return subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


def journal_applied(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []  # nothing was left to change: no applying run, no journal
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    befores = {(r["rule"]["rule_id"], r["action"]) for r in lines if r["event"] == "before"}
    applied = [r for r in lines if r["event"] == "after" and r["outcome"] == "applied"]
    for record in applied:
        # Nothing is ever reported applied without having been journalled before it was sent.
        assert (record["rule"]["rule_id"], record["action"]) in befores
    return applied


Fleet = list[list[tuple[tuple[str, int | None], bool, str | None]]]

FLEETS = st.lists(
    st.lists(
        st.tuples(st.sampled_from(PORTS), st.booleans(), st.sampled_from([None, "office"])),
        min_size=1,
        max_size=3,
        unique_by=lambda r: (r[0], r[1]),
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fleet=FLEETS,
    seed=st.integers(0, 2**16),
    share=st.sampled_from([0.2, 0.35]),
    strategy=st.sampled_from(["modify", "authorize-revoke"]),
)
def test_update_converges_under_faults(
    aws: Aws, tmp_path: Path, fleet: Fleet, seed: int, share: float, strategy: str
) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2, "10.9.0.0/16")
    expected: dict[str, set[helpers.RuleView]] = {}
    for index, rules in enumerate(fleet):
        ingress = tuple(
            perm(p, port, cidrs=(A,), description=d) for (p, port), egress, d in rules if not egress
        )
        egress = tuple(
            perm(p, port, cidrs=(A,), description=d) for (p, port), egress, d in rules if egress
        )
        group = helpers.group(
            ec2, v, f"f{seed}-{index}-{len(expected)}", ingress=ingress, egress=egress
        )
        expected[group] = {
            (d, pr, f, t, B if c == A else c, desc)
            for (d, pr, f, t, c, desc) in helpers.rules(ec2, group)
        }
    proxy = LatencyProxy(aws.url, 0.0, faults=share, seed=seed).start()
    try:
        outcomes = []
        for _ in range(3):
            # Hypothesis replays examples in one test directory: one fresh journal per run.
            journal = tmp_path / f"run-{uuid.uuid4().hex}.jsonl"
            done = run(proxy.url, journal, "--strategy", strategy)
            assert "Traceback" not in done.stderr
            assert done.returncode in (0, 1), done.stderr
            outcomes.append(done.returncode)
            applied = journal_applied(journal)
            rows = json.loads(done.stdout)["changes"]
            assert len(applied) == sum(r["status"] == "applied" for r in rows)
            if done.returncode == 0:
                break
        assert outcomes[-1] == 0, f"did not converge: {outcomes}"
        faults = {k: v for k, v in proxy.take_counts().items() if k.startswith("fault:")}
    finally:
        proxy.stop()
    for group, wanted in expected.items():
        assert helpers.rules(ec2, group) == wanted, faults


def test_every_kind_of_fault_is_met_and_the_update_still_converges(
    aws: Aws, tmp_path: Path
) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    groups = [
        helpers.group(
            ec2, v, f"g{i}",
            ingress=(perm("tcp", 22, cidrs=(A, "10.0.0.0/8"), description=f"d{i}"),),
            egress=(perm("udp", 514, cidrs=(A,)),),
        )
        for i in range(8)
    ]  # fmt: skip
    proxy = LatencyProxy(aws.url, 0.0, faults=0.5, seed=SEED).start()
    try:
        codes = []
        for attempt in range(4):
            done = run(proxy.url, tmp_path / f"run-{attempt}.jsonl", "--concurrency", "1")
            assert "Traceback" not in done.stderr
            codes.append(done.returncode)
            if done.returncode == 0:
                break
        counts = proxy.take_counts()
    finally:
        proxy.stop()
    assert codes[-1] == 0, codes
    met = {k.removeprefix("fault:") for k, n in counts.items() if k.startswith("fault:") and n}
    assert met == {"throttle", "error500", "unavailable503", "reset-before", "reset-after", "slow"}
    for i, group in enumerate(groups):
        assert helpers.rules(ec2, group) == {
            ("ingress", "tcp", 22, 22, B, f"d{i}"),
            ("ingress", "tcp", 22, 22, "10.0.0.0/8", f"d{i}"),
            ("egress", "udp", 514, 514, B, ""),
            ("egress", "-1", -1, -1, "0.0.0.0/0", ""),
        }
