"""The examples run as written: the batch script (plan → review → apply --sha256) and the
configuration file's own command line."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import REGION, Aws, Cli

ROOT = Path(__file__).resolve().parents[2]
A, B = "192.0.2.0/24", "198.51.100.0/24"
KEYS = "aws_access_key_id = testing\naws_secret_access_key = testing"


def batch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The script finds sgupdater on PATH, as an installed one would be.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(ROOT / "examples" / "update-profiles.sh"), *args],
        cwd=tmp_path, env=dict(os.environ, PATH=path), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def profiles(aws: Aws) -> dict[str, str]:
    """prod-a and prod-b (one account in this emulator, two regions) and dev, each a group."""
    found = {}
    for name, region in (("prod-a", "us-east-1"), ("prod-b", "eu-west-1"), ("dev", "us-west-2")):
        aws.add_profile(name, f"region = {region}\n{KEYS}")
        ec2 = aws.ec2(region=region)
        found[name] = helpers.group(ec2, helpers.vpc(ec2), name, ingress=(perm(cidrs=(A,)),))
    return found


def region_of(name: str) -> str:
    return {"prod-a": "us-east-1", "prod-b": "eu-west-1", "dev": "us-west-2"}[name]


def test_the_batch_example_plans_reviews_and_applies_unattended(
    aws: Aws, profiles: dict[str, str], tmp_path: Path
) -> None:
    done = batch(tmp_path, "--yes", "prod-*", A, B)
    assert done.returncode == 0, done.stderr
    for name, group in profiles.items():
        now = helpers.rules(aws.ec2(region=region_of(name)), group)
        expected = B if name.startswith("prod-") else A
        assert ("ingress", "tcp", 22, 22, expected, "") in now
    [plan] = tmp_path.glob("plan-*.json")
    [review] = tmp_path.glob("review-*.md")
    [result] = tmp_path.glob("result-*.json")
    assert "### sgupdater plan" in review.read_text()
    assert {c["status"] for c in json.loads(result.read_text())["changes"]} == {"applied"}
    assert f"sgupdater apply {plan.name} --sha256" in done.stderr
    again = batch(tmp_path, "--yes", "prod-*", A, B)
    assert again.returncode == 0, again.stderr
    assert "nothing to change for profiles prod-*" in again.stderr


def test_the_batch_example_without_yes_and_without_a_terminal_changes_nothing(
    aws: Aws, profiles: dict[str, str], tmp_path: Path
) -> None:
    done = batch(tmp_path, "prod-*", A, B)
    assert done.returncode == 2
    assert "no terminal to ask on: pass --yes" in done.stderr
    group = profiles["prod-a"]
    assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(aws.ec2(region="us-east-1"), group)


def test_a_profile_pattern_selects_from_the_config_files(
    aws: Aws, profiles: dict[str, str], cli: Cli
) -> None:
    run = cli("show", "--from-cidr", A, "-p", "prod-*", "-o", "json")
    assert run.code == 0, run.err
    seen = {t["credentials"] for t in json.loads(run.out)["targets"]}
    assert seen == {"prod-a", "prod-b"}
    none = cli("show", "--from-cidr", A, "-p", "stage-*")
    assert none.code == 2
    assert "profile pattern 'stage-*' matches no profile in the AWS config files" in none.err


def test_the_example_configuration_runs_as_its_first_line_says(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.add_profile("org-admin", f"region = {REGION}\n{KEYS}")
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    made = org.create_account(AccountName="prod", Email="prod@example.com")
    account = made["CreateAccountStatus"]["AccountId"]
    ec2 = aws.ec2_in(account, REGION)
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    ec2.create_tags(Resources=[group], Tags=[{"Key": "Environment", "Value": "prod"}])
    config = ROOT / "examples" / "sgupdater.yaml"
    first = config.read_text().splitlines()[0]
    words = shlex.split(first.removeprefix("# "))
    assert words[:3] == ["sgupdater", "update", "--config"]
    monkeypatch.chdir(ROOT)
    run = cli(*words[1:], "-o", "json")
    assert run.code == 0, run.err
    changes = json.loads(run.out)["changes"]
    assert [(c["account"], c["group_id"], c["new_cidr"]) for c in changes] == [(account, group, B)]
