"""The journal of an applying run, and `sgupdater rollback` from it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
A6, B6 = "2001:db8::/32", "2001:db9::/48"


def seed(aws: Aws) -> str:
    ec2 = aws.ec2()
    return helpers.group(
        ec2,
        helpers.vpc(ec2),
        "web",
        ingress=(
            perm("tcp", 22, cidrs=(A,), cidrs6=(A6,), description="ssh"),
            perm("tcp", 443, cidrs=(A, B), description="https"),
        ),
        egress=(perm("udp", 514, cidrs=(A,), description="syslog"),),
    )


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_applying_run_journals_each_change_before_and_after(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    seed(aws)
    path = tmp_path / "run.jsonl"
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(path))
    assert run.code == 0
    assert f"journal: {path}" in run.err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = records(path)
    events = [r["event"] for r in lines]
    assert events[0] == "start"
    assert events[-1] == "end"
    befores = [r for r in lines if r["event"] == "before"]
    afters = [r for r in lines if r["event"] == "after"]
    assert len(befores) == len(afters) == 3
    assert {r["outcome"] for r in afters} == {"applied"}
    assert sorted(str(r["action"]) for r in afters) == ["modify", "modify", "revoke"]
    text = path.read_text()
    assert "testing" not in text  # the test's secret key and key id
    assert "Authorization" not in text


def test_the_default_journal_lives_in_the_state_directory(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    seed(aws)
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B)
    written = list((tmp_path / "state" / "sgupdater").glob("journal-*.jsonl"))
    assert len(written) == 1
    assert str(written[0]) in run.err


def test_dry_run_and_show_write_no_journal(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    seed(aws)
    cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--dry-run")
    cli("show", "--from-cidr", A)
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["update", "--yes", "--from-cidr", A, "--to-cidr", B],
        ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "--strategy", "authorize-revoke"],
        ["update", "--yes", "--from-cidr", A6, "--to-cidr", B6],
        ["add", "--yes", "--from-cidr", A, "--to-cidr", B],
        ["remove", "--yes", "--cidr", A],
    ],
    ids=["update", "authorize-revoke", "ipv6", "add", "remove"],
)
def test_rollback_restores_exactly_the_rules_the_run_changed(
    aws: Aws, cli: Cli, tmp_path: Path, args: list[str]
) -> None:
    group = seed(aws)
    ec2 = aws.ec2()
    before = helpers.rule_ids(ec2, group)
    path = tmp_path / "run.jsonl"
    assert cli(*args, "--journal", str(path)).code == 0
    assert helpers.rules(ec2, group) != set(before)
    run = cli("rollback", "--yes", str(path), "--journal", str(tmp_path / "undo.jsonl"))
    assert run.code == 0, run.err
    after = helpers.rule_ids(ec2, group)
    assert set(after) == set(before)
    # Rules that were modified in place get their old CIDR back under the same id.
    if args[-1] == B and "--strategy" not in args and args[0] == "update":
        assert (
            after[("ingress", "tcp", 22, 22, A, "ssh")]
            == before[("ingress", "tcp", 22, 22, A, "ssh")]
        )


def test_rollback_never_overwrites_a_rule_changed_since(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    ec2 = aws.ec2()
    path = tmp_path / "run.jsonl"
    assert (
        cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(path)).code == 0
    )
    ids = helpers.rule_ids(ec2, group)
    ssh = ids[("ingress", "tcp", 22, 22, B, "ssh")]
    helpers.edit_by_hand(ec2, group, ssh, 22, "203.0.113.0/24", "changed by hand")
    run = cli("rollback", "--yes", str(path), "-o", "json")
    assert run.code == 0, run.err
    rows = json.loads(run.out)["changes"]
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert len(skipped) == 1
    assert "changed since" in skipped[0]["detail"]
    rules = helpers.rules(ec2, group)
    assert ("ingress", "tcp", 22, 22, "203.0.113.0/24", "changed by hand") in rules
    assert ("egress", "udp", 514, 514, A, "syslog") in rules
    assert ("ingress", "tcp", 443, 443, A, "https") in rules


def test_rollback_dry_run_changes_nothing(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    path = tmp_path / "run.jsonl"
    cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(path))
    after_update = helpers.rule_ids(aws.ec2(), group)
    run = cli("rollback", str(path), "--dry-run", "-o", "json")
    assert run.code == 0
    assert {r["status"] for r in json.loads(run.out)["changes"]} == {"planned"}
    assert helpers.rule_ids(aws.ec2(), group) == after_update


def test_rolling_back_twice_changes_nothing_the_second_time(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    group = seed(aws)
    path = tmp_path / "run.jsonl"
    cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(path))
    assert cli("rollback", "--yes", str(path)).code == 0
    restored = helpers.rule_ids(aws.ec2(), group)
    run = cli("rollback", "--yes", str(path), "-o", "json")
    assert run.code == 0
    assert {r["status"] for r in json.loads(run.out)["changes"]} == {"skipped"}
    assert helpers.rule_ids(aws.ec2(), group) == restored


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n{}\n", "invalid JSON"),
        ('{"format_version": 99}\n', "format version 1"),
        ("[1, 2]\n", "format version 1"),
        (
            '{"format_version": 1, "event": "after", "outcome": "applied"}\n',
            "bad.jsonl:1.region: expected a string",
        ),
    ],
)
def test_a_broken_journal_is_one_line_and_exit_2(
    cli: Cli, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    run = cli("rollback", "--yes", str(path))
    assert run.code == 2
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_a_torn_last_line_from_a_killed_run_is_tolerated(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    group = seed(aws)
    before = helpers.rules(aws.ec2(), group)
    path = tmp_path / "run.jsonl"
    cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(path))
    with path.open("a") as f:
        f.write('{"format_version": 1, "event": "bef')
    assert cli("rollback", "--yes", str(path)).code == 0
    assert helpers.rules(aws.ec2(), group) == before


def test_a_missing_journal(cli: Cli, tmp_path: Path) -> None:
    run = cli("rollback", "--yes", str(tmp_path / "nope.jsonl"))
    assert run.code == 2
    assert "cannot read" in run.err
