"""The scale simulator answers in AWS's shapes: sgupdater finds exactly the fleet it generates."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import sim
from tests.conftest import Aws, Cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def simulator(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An Organization of 3 member accounts, no delay, as the only endpoint."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.sim", "3", "0"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    url = f"http://127.0.0.1:{int(process.stdout.readline())}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    aws.credentials.write_text(
        f"[default]\naws_access_key_id = {sim.MANAGEMENT_KEY}\naws_secret_access_key = sim\n"
    )
    yield url
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_show_over_the_simulated_organization_finds_the_generated_matches(
    simulator: str, cli: Cli
) -> None:
    run = cli("show", "--from-cidr", sim.OLD, "--org-role", "bench", "-r", "all", "-o", "json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    expected = {
        (account, region, rule["GroupId"], rule["SecurityGroupRuleId"])
        for account in sim.account_ids(3)
        for region in sim.REGIONS
        for rule in sim.rules(account, region)
        if rule["CidrIpv4"] == sim.OLD
    }
    found = {(r["account"], r["region"], r["group_id"], r["rule_id"]) for r in document["rules"]}
    assert expected
    assert found == expected
    assert document["summary"]["targets"] == 3 * len(sim.REGIONS)
    assert document["summary"]["groups_scanned"] == 2 * 3 * len(sim.REGIONS)
    assert {r["description"] for r in document["rules"]} == {"office https"}


def test_an_update_over_the_simulator_sends_one_edit_per_matched_group(
    simulator: str, cli: Cli
) -> None:
    args = ("--from-cidr", sim.OLD, "--to-cidr", "198.51.100.0/24", "--org-role", "bench")
    run = cli("update", *args, "-r", "all", "--yes", "-o", "json")
    assert run.code == 0, run.err
    changes = json.loads(run.out)["changes"]
    assert changes
    assert {(c["action"], c["status"]) for c in changes} == {("modify", "applied")}
