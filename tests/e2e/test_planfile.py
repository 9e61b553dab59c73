"""Reviewed plans: `--dry-run --plan-out`, then `sgupdater apply` exactly that plan."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def seed(aws: Aws) -> tuple[str, str]:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    web = helpers.group(
        ec2, v, "web",
        ingress=(perm("tcp", 22, cidrs=(A,), description="ssh"), perm("tcp", 443, cidrs=(A, B))),
    )  # fmt: skip
    db = helpers.group(ec2, v, "db", ingress=(perm("tcp", 5432, cidrs=(A,), description="psql"),))
    return web, db


def plan(cli: Cli, path: Path, *extra: str) -> None:
    run = cli(
        "update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "--plan-out", str(path), *extra
    )
    assert run.code == 0, run.err
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"plan: {path} (3 changes, sha256 {digest})" in run.err
    assert f"sgupdater apply {path} --sha256 {digest}" in run.err


def test_apply_makes_exactly_the_reviewed_plan(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    web, db = seed(aws)
    ec2 = aws.ec2()
    path = tmp_path / "plan.json"
    plan(cli, path)
    document = json.loads(path.read_text())
    assert document["format_version"] == 1
    assert document["kind"] == "sgupdater-plan"
    # A group made after the review is not part of the plan, though it matches.
    later = helpers.group(
        ec2, helpers.vpc(ec2, "10.2.0.0/16"), "later", ingress=(perm(cidrs=(A,)),)
    )
    run = cli("apply", "--yes", str(path), "-o", "json", "--journal", str(tmp_path / "j.jsonl"))
    assert run.code == 0, run.err
    assert {r["status"] for r in json.loads(run.out)["changes"]} == {"applied"}
    assert ("ingress", "tcp", 22, 22, B, "ssh") in helpers.rules(ec2, web)
    assert ("ingress", "tcp", 5432, 5432, B, "psql") in helpers.rules(ec2, db)
    assert not [r for r in helpers.rules(ec2, web) if r[4] == A]
    assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(ec2, later)


def test_drifted_rules_are_skipped_never_forced(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    web, db = seed(aws)
    ec2 = aws.ec2()
    path = tmp_path / "plan.json"
    plan(cli, path)
    # After review: someone re-describes the psql rule and removes the new range on 443.
    ids = helpers.rule_ids(ec2, db)
    psql = ids[("ingress", "tcp", 5432, 5432, A, "psql")]
    helpers.edit_by_hand(ec2, db, psql, 5432, A, "edited")
    ec2.revoke_security_group_ingress(GroupId=web, IpPermissions=[perm("tcp", 443, cidrs=(B,))])
    run = cli("apply", "--yes", str(path), "-o", "json")
    # Skipped because the rules moved on: the old range is still trusted there; not done.
    assert run.code == 1, run.err
    assert "2 skipped: moved on since the plan" in run.err
    assert "may still be trusted there" in run.err
    rows = {(r["group_name"], r["from_port"]): r for r in json.loads(run.out)["changes"]}
    assert rows[("web", 22)]["status"] == "applied"
    assert rows[("db", 5432)]["status"] == "skipped"
    assert "changed since" in rows[("db", 5432)]["detail"]
    assert rows[("web", 443)]["status"] == "skipped"
    assert "no longer allowed" in rows[("web", 443)]["detail"]
    assert ("ingress", "tcp", 5432, 5432, A, "edited") in helpers.rules(ec2, db)
    assert ("ingress", "tcp", 443, 443, A, "") in helpers.rules(ec2, web)


def test_applying_a_plan_twice_skips_what_is_done(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    seed(aws)
    path = tmp_path / "plan.json"
    plan(cli, path)
    assert cli("apply", "--yes", str(path)).code == 0
    again = cli("apply", "--yes", str(path), "-o", "json")
    assert again.code == 0
    assert {r["status"] for r in json.loads(again.out)["changes"]} == {"skipped"}


def test_plan_out_needs_dry_run(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    web, _ = seed(aws)
    before = helpers.rule_ids(aws.ec2(), web)
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--plan-out", str(tmp_path / "p.json")
    )
    assert run.code == 2
    assert "--plan-out goes with --dry-run" in run.err
    assert helpers.rule_ids(aws.ec2(), web) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format_version": 1, "kind": "sgupdater-plan", "targets": [', "truncated"),
        ('{"format_version": 2, "kind": "sgupdater-plan", "targets": []}', "version 2"),
        ('{"kind": "something-else"}', "not a sgupdater plan file"),
        ('{"format_version": 1, "kind": "sgupdater-plan"}', "targets: expected a list"),
        (
            '{"format_version": 1, "kind": "sgupdater-plan", "targets": '
            '[{"region": "us-east-1", "changes": [{"action": "explode", "rule": {}}]}]}',
            "targets[0].changes[0].action: 'explode' is not one of",
        ),
    ],
)
def test_a_broken_plan_file_is_exit_2(cli: Cli, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    run = cli("apply", "--yes", str(path))
    assert run.code == 2
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_plan_then_apply_then_rollback(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    web, db = seed(aws)
    ec2 = aws.ec2()
    before = {g: helpers.rules(ec2, g) for g in (web, db)}
    path, journal = tmp_path / "plan.json", tmp_path / "run.jsonl"
    plan(cli, path)
    assert cli("apply", str(path), "--yes", "--journal", str(journal)).code == 0
    assert cli("rollback", str(journal), "--yes").code == 0
    assert {g: helpers.rules(ec2, g) for g in (web, db)} == before


def test_apply_and_rollback_without_a_terminal_need_yes(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    web, _ = seed(aws)
    ec2 = aws.ec2()
    path, journal = tmp_path / "plan.json", tmp_path / "j.jsonl"
    plan(cli, path)
    before = helpers.rules(ec2, web)
    refused = cli("apply", str(path))
    assert refused.code == 2
    assert "apply changes AWS and there is no terminal to ask on: pass --yes" in refused.err
    assert helpers.rules(ec2, web) == before
    assert cli("apply", "--yes", str(path), "--journal", str(journal)).code == 0
    moved = helpers.rules(ec2, web)
    refused = cli("rollback", str(journal))
    assert refused.code == 2
    assert "rollback changes AWS and there is no terminal to ask on" in refused.err
    assert helpers.rules(ec2, web) == moved
