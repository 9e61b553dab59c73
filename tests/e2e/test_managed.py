"""Groups owned by infrastructure as code: flagged everywhere, left out with --skip-managed."""

from __future__ import annotations

import json

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def seed(aws: Aws) -> tuple[str, str, str]:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    stack = helpers.group(ec2, v, "stack", ingress=(perm(cidrs=(A,)),))
    terraform = helpers.group(ec2, v, "tf", ingress=(perm(cidrs=(A,)),))
    hand = helpers.group(ec2, v, "hand", ingress=(perm(cidrs=(A,)),))
    # CloudFormation tags its resources itself; moto lets a test write the aws: prefix.
    ec2.create_tags(
        Resources=[stack], Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "web"}]
    )
    ec2.create_tags(Resources=[terraform], Tags=[{"Key": "ManagedBy", "Value": "terraform"}])
    return stack, terraform, hand


def test_managed_groups_are_flagged_in_plans_and_counted(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stack, terraform, hand = seed(aws)
    run = cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "-o", "json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    flags = {c["group_id"]: c["managed"] for c in document["changes"]}
    assert flags == {stack: "cloudformation:web", terraform: "ManagedBy=terraform", hand: ""}
    assert document["summary"]["managed"] == 2
    assert "2 in IaC-managed resources" in run.err
    table = cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "-o", "table").out
    assert "[managed: cloudformation:web]" in table


def test_skip_managed_changes_only_the_others(aws: Aws, cli: Cli) -> None:
    stack, terraform, hand = seed(aws)
    ec2 = aws.ec2()
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--skip-managed", "-o", "json")
    assert run.code == 0, run.err
    assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(ec2, stack)
    assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(ec2, terraform)
    assert ("ingress", "tcp", 22, 22, B, "") in helpers.rules(ec2, hand)
    summary = json.loads(run.out)["summary"]
    assert (summary["changed"], summary["unchanged"], summary["managed"]) == (1, 2, 2)


def test_the_managed_by_tag_is_configurable(aws: Aws, cli: Cli) -> None:
    stack, terraform, hand = seed(aws)
    ec2 = aws.ec2()
    ec2.create_tags(Resources=[hand], Tags=[{"Key": "owner", "Value": "pulumi"}])
    run = cli("show", "--from-cidr", A, "--managed-tag", "owner=pulumi", "-o", "json")
    flags = {r["group_id"]: r["managed"] for r in json.loads(run.out)["rules"]}
    # CloudFormation's own tags always count; the chosen tag replaces the default ones.
    assert flags == {stack: "cloudformation:web", terraform: "", hand: "owner=pulumi"}
