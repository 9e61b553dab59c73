"""--strategy authorize-revoke: new rules recorded by their own traffic, tags kept, lost answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from testkit.proxy import LatencyProxy
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def web(aws: Aws) -> str:
    ssh, https = perm("tcp", 22, cidrs=(A,), description="ssh"), perm("tcp", 443, cidrs=(A,))
    return helpers.web(aws.ec2(), ssh, https)


def applied(journal: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    return [r for r in lines if r.get("event") == "after" and r.get("outcome") == "applied"]


def test_two_ports_from_one_cidr_are_recorded_apart_and_rolled_back(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    group = web(aws)
    ec2 = aws.ec2()
    before = helpers.rules(ec2, group)
    journal = tmp_path / "run.jsonl"
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--strategy", "authorize-revoke",
        "--journal", str(journal),
    )  # fmt: skip
    assert run.code == 0, run.err
    now = helpers.rule_ids(ec2, group)
    recorded = {r["rule"]["from_port"]: r["new_rule_id"] for r in applied(journal)  # type: ignore[index]
                if r["action"] == "authorize"}  # fmt: skip
    assert recorded == {
        22: now[("ingress", "tcp", 22, 22, B, "ssh")],
        443: now[("ingress", "tcp", 443, 443, B, "")],
    }
    back = cli("rollback", str(journal), "--yes")
    assert back.code == 0, back.err
    assert "0 unchanged" in back.err
    assert helpers.rules(ec2, group) == before


def test_the_new_rule_keeps_the_old_rules_tags(aws: Aws, cli: Cli) -> None:
    group = web(aws)
    ec2 = aws.ec2()
    ssh = helpers.rule_ids(ec2, group)[("ingress", "tcp", 22, 22, A, "ssh")]
    ec2.create_tags(Resources=[ssh], Tags=[{"Key": "owner", "Value": "netops"}])
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--strategy", "authorize-revoke")
    assert run.code == 0, run.err
    new = helpers.rule_ids(ec2, group)[("ingress", "tcp", 22, 22, B, "ssh")]
    tags = ec2.describe_security_group_rules(SecurityGroupRuleIds=[new])["SecurityGroupRules"]
    assert tags[0].get("Tags") == [{"Key": "owner", "Value": "netops"}]


def test_an_authorize_whose_answer_was_lost_is_applied_not_failed(
    aws: Aws, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy forwards the first authorize, then drops EC2's answer: the SDK retries, and
    # the retry meets InvalidPermission.Duplicate for the very rules the first attempt made.
    lost = "reset-after"
    group = web(aws)
    ec2 = aws.ec2()
    proxy = LatencyProxy(aws.url, 0.0, script=f"AuthorizeSecurityGroupIngress={lost}*1").start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    journal = tmp_path / "run.jsonl"
    try:
        run = cli(
            "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--strategy", "authorize-revoke",
            "--journal", str(journal), "-o", "json",
        )  # fmt: skip
        counts = proxy.take_counts()
    finally:
        proxy.stop()
    assert counts[f"fault:{lost}"] == 1
    assert run.code == 0, run.err
    assert {c["status"] for c in json.loads(run.out)["changes"]} == {"applied"}
    now = helpers.rule_ids(ec2, group)
    made = {r["new_rule_id"] for r in applied(journal) if r["action"] == "authorize"}
    assert made == {
        now[("ingress", "tcp", 22, 22, B, "ssh")],
        now[("ingress", "tcp", 443, 443, B, "")],
    }
