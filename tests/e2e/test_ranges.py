"""--match within and --renumber end to end: host rules inside the old range move with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def seed(aws: Aws) -> str:
    ec2 = aws.ec2()
    return helpers.group(
        ec2,
        helpers.vpc(ec2),
        "web",
        ingress=(
            perm("tcp", 22, cidrs=("192.0.2.10/32",), description="alice"),
            perm("tcp", 443, cidrs=("192.0.2.128/25", "10.0.0.0/8")),
            perm("tcp", 80, cidrs=(A,)),
            perm("tcp", 8080, cidrs=("192.0.0.0/16",)),
        ),
    )


def test_renumber_moves_each_rule_to_the_same_offset(aws: Aws, cli: Cli) -> None:
    g = seed(aws)
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--match", "within", "--renumber"
    )
    assert run.code == 0, run.err
    assert helpers.rules(aws.ec2(), g) == {
        ("ingress", "tcp", 22, 22, "198.51.100.10/32", "alice"),
        ("ingress", "tcp", 443, 443, "198.51.100.128/25", ""),
        ("ingress", "tcp", 443, 443, "10.0.0.0/8", ""),
        ("ingress", "tcp", 80, 80, B, ""),
        # Wider than the range: not inside it, so untouched.
        ("ingress", "tcp", 8080, 8080, "192.0.0.0/16", ""),
        ("egress", "-1", -1, -1, "0.0.0.0/0", ""),
    }


def test_exact_is_the_default(aws: Aws, cli: Cli) -> None:
    seed(aws)
    shown = json.loads(cli("show", "--from-cidr", A, "-o", "json").out)["rules"]
    assert [r["cidr"] for r in shown] == [A]


def test_within_shows_and_removes_without_renumber(aws: Aws, cli: Cli) -> None:
    g = seed(aws)
    shown = json.loads(cli("show", "--from-cidr", A, "--match", "within", "-o", "json").out)
    assert sorted(r["cidr"] for r in shown["rules"]) == [
        "192.0.2.0/24",
        "192.0.2.10/32",
        "192.0.2.128/25",
    ]
    assert cli("remove", "--yes", "--cidr", A, "--match", "within").code == 0
    assert {r[4] for r in helpers.rules(aws.ec2(), g)} == {
        "10.0.0.0/8",
        "192.0.0.0/16",
        "0.0.0.0/0",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("update", "--match", "within"), "needs --renumber"),
        (("add", "--match", "within"), "needs --renumber"),
        (("update", "--renumber"), "--renumber goes with --match within"),
    ],
)
def test_within_without_renumber_is_refused_for_update_and_add(
    aws: Aws, cli: Cli, args: tuple[str, ...], message: str
) -> None:
    g = seed(aws)
    before = helpers.rules(aws.ec2(), g)
    run = cli(*args, "--from-cidr", A, "--to-cidr", B)
    assert run.code == 2
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert helpers.rules(aws.ec2(), g) == before


def test_renumber_needs_equal_prefix_lengths(aws: Aws, cli: Cli) -> None:
    seed(aws)
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", "198.51.100.0/23",
        "--match", "within", "--renumber",
    )  # fmt: skip
    assert run.code == 2
    assert "equal prefix lengths" in run.err


def test_overlapping_ranges_are_refused(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    g = seed(aws)
    before = helpers.rules(aws.ec2(), g)
    config = tmp_path / "c.yaml"
    config.write_text(
        "mappings:\n"
        "  - {from: 192.0.2.0/24, to: 198.51.100.0/24}\n"
        "  - {from: 192.0.2.0/25, to: 203.0.113.0/25}\n"
    )
    run = cli("update", "--yes", "--config", str(config), "--match", "within", "--renumber")
    assert run.code == 2
    assert "overlap" in run.err
    into = cli(
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        "192.0.2.0/24",
        "--match",
        "within",
        "--renumber",
    )
    assert into.code == 2
    assert helpers.rules(aws.ec2(), g) == before
