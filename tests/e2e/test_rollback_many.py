"""Rolling back several runs: journals newest first, or the newest with --last."""

from __future__ import annotations

import time
from pathlib import Path

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B, C = "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"


def ingress(rules: set[helpers.RuleView]) -> set[str]:
    """The CIDRs the group's ingress allows."""
    return {r[4] for r in rules if r[0] == "ingress"}


def two_moves(aws: Aws, cli: Cli, tmp_path: Path) -> tuple[str, Path, Path]:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    first, second = tmp_path / "j1.jsonl", tmp_path / "j2.jsonl"
    assert (
        cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(first)).code == 0
    )
    # A second apart at least: journals record their start to the second.

    time.sleep(1.05)
    assert (
        cli("update", "--yes", "--from-cidr", B, "--to-cidr", C, "--journal", str(second)).code == 0
    )
    return group, first, second


def test_journals_newest_first_undo_both(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group, first, second = two_moves(aws, cli, tmp_path)
    run = cli("rollback", "--yes", str(second), str(first))
    assert run.code == 0, run.err
    assert f"rollback 1 of 2: {second}" in run.err
    assert ingress(helpers.rules(aws.ec2(), group)) == {A}


def test_journals_in_the_wrong_order_are_refused(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group, first, second = two_moves(aws, cli, tmp_path)
    run = cli("rollback", "--yes", str(first), str(second))
    assert run.code == 2
    assert "give the journals newest first" in run.err
    assert ingress(helpers.rules(aws.ec2(), group)) == {C}


def test_last_rolls_back_the_newest_run_and_not_a_rollback(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    assert cli("update", "--yes", "--from-cidr", A, "--to-cidr", B).code == 0
    run = cli("rollback", "--yes", "--last")
    assert run.code == 0, run.err
    assert "rollback --last: " in run.err
    assert ingress(helpers.rules(ec2, group)) == {A}
    # The newest journal is now the rollback's own: --last passes it over, finds the undone
    # run again, and finds nothing left to undo.
    again = cli("rollback", "--yes", "--last")
    assert again.code == 0, again.err
    assert ingress(helpers.rules(ec2, group)) == {A}


def test_last_without_any_journal_is_bad_input(aws: Aws, cli: Cli) -> None:
    run = cli("rollback", "--last")
    assert run.code == 2
    assert "--last: no journal of a run that changed something" in run.err
