"""The summaries say what happened: no "(dry run)" where nothing was left, counts that are true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def test_update_yes_with_nothing_left_is_not_a_dry_run(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(B,)),))
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "-o", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["dry_run"] is False
    assert "0 changes to make, 0 unchanged, 0 failed" in run.err
    assert "dry run" not in run.err


def test_a_plan_applied_twice_counts_what_it_read_and_is_no_dry_run(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    for name in ("web", "db"):
        helpers.group(ec2, v, name, ingress=(perm(cidrs=(A,)),))
    plan = tmp_path / "plan.json"
    assert cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "--plan-out", str(plan))
    first = cli("apply", "--yes", str(plan))
    assert first.code == 0, first.err
    assert "1 target(s), 2 containers read again, 2 changes applied" in first.err
    again = cli("apply", "--yes", str(plan), "-o", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["dry_run"] is False
    assert "2 containers read again, 0 changes to make, 2 unchanged" in again.err
    assert "dry run" not in again.err


def test_show_has_no_column_of_changes(aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    run = cli("show", "--from-cidr", A, "-r", "us-east-1", "-r", "eu-west-1")
    assert run.code == 0, run.err
    assert "Per target" in run.err
    assert "To change" not in run.err
    assert "Changed" not in run.err


def test_a_rollback_plan_allows_again_rather_than_replaces(
    aws: Aws, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    ec2 = aws.ec2()
    helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    journal = tmp_path / "run.jsonl"
    removed = cli("remove", "--yes", "--cidr", A, "--journal", str(journal))
    assert removed.code == 0, removed.err
    dry = cli("rollback", str(journal), "--dry-run", "-o", "table")
    assert dry.code == 0, dry.err
    assert f"(none) → {A}" in dry.out
    assert f"{A} → {A}" not in dry.out
    assert "1 change to make (dry run)" in dry.err
