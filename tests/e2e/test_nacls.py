"""--nacls: network ACL entries replaced in place, read back through boto3."""

from __future__ import annotations

import json
from pathlib import Path

from testkit import helpers
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def seed(aws: Aws) -> str:
    ec2 = aws.ec2()
    return helpers.acl(
        ec2,
        helpers.vpc(ec2),
        (100, False, "6", "allow", A, 22, 22),
        (110, False, "6", "deny", A, 3389, 3389),
        (120, True, "6", "allow", A, 1024, 65535),
        (130, False, "6", "allow", "10.0.0.0/8", 443, 443),
    )


def test_update_keeps_number_action_protocol_and_ports(aws: Aws, cli: Cli) -> None:
    acl = seed(aws)
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--nacls", "-o", "json")
    assert run.code == 0, run.err
    assert helpers.acl_entries(aws.ec2(), acl) == {
        (100, False, "6", "allow", B, (22, 22)),
        (110, False, "6", "deny", B, (3389, 3389)),
        (120, True, "6", "allow", B, (1024, 65535)),
        (130, False, "6", "allow", "10.0.0.0/8", (443, 443)),
    }
    changes = json.loads(run.out)["changes"]
    assert {(c["kind"], c["rule_id"], c["rule_action"]) for c in changes} == {
        ("nacl", "100", "allow"),
        ("nacl", "110", "deny"),
        ("nacl", "120", "allow"),
    }


def test_without_the_flag_acls_are_left_alone(aws: Aws, cli: Cli) -> None:
    acl = seed(aws)
    before = helpers.acl_entries(aws.ec2(), acl)
    assert cli("update", "--yes", "--from-cidr", A, "--to-cidr", B).code == 0
    assert helpers.acl_entries(aws.ec2(), acl) == before


def test_remove_deletes_allow_entries_but_never_a_deny(aws: Aws, cli: Cli) -> None:
    acl = seed(aws)
    run = cli("remove", "--yes", "--cidr", A, "--nacls", "--direction", "ingress")
    assert run.code == 0, run.err
    assert helpers.acl_entries(aws.ec2(), acl) == {
        (110, False, "6", "deny", A, (3389, 3389)),
        (120, True, "6", "allow", A, (1024, 65535)),
        (130, False, "6", "allow", "10.0.0.0/8", (443, 443)),
    }


def test_add_refuses_acls(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    acl = seed(aws)
    before = helpers.acl_entries(aws.ec2(), acl)
    run = cli("add", "--yes", "--from-cidr", A, "--to-cidr", B, "--nacls")
    assert run.code == 2
    assert "No such option: --nacls" in run.err
    # Turned on by a configuration file, the switch is refused with the reason.
    config = tmp_path / "c.yaml"
    config.write_text("scope: {nacls: true}\n")
    run = cli("add", "--yes", "--from-cidr", A, "--to-cidr", B, "--config", str(config))
    assert run.code == 2
    assert "rule number" in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert helpers.acl_entries(aws.ec2(), acl) == before


def test_rollback_restores_replaced_and_deleted_entries(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    acl = seed(aws)
    before = helpers.acl_entries(aws.ec2(), acl)
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert (
        cli(
            "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--nacls", "--journal", str(first)
        ).code
        == 0
    )
    assert cli("remove", "--yes", "--cidr", B, "--nacls", "--journal", str(second)).code == 0
    assert cli("rollback", str(second), "--yes").code == 0
    run = cli("rollback", str(first), "--yes")
    assert run.code == 0, run.err
    assert helpers.acl_entries(aws.ec2(), acl) == before


def test_ipv6_and_icmp_entries_keep_their_type_and_code(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    acl_id = ec2.create_network_acl(VpcId=helpers.vpc(ec2))["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=100, Egress=False, Protocol="58", RuleAction="allow",
        Ipv6CidrBlock="2001:db8::/32", IcmpTypeCode={"Type": 128, "Code": 0},
    )  # fmt: skip
    run = cli(
        "update", "--yes", "--from-cidr", "2001:db8::/32", "--to-cidr", "2001:db9::/32", "--nacls"
    )
    assert run.code == 0, run.err
    [found] = [
        e
        for e in ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Entries"]
        if e["RuleNumber"] == 100
    ]
    assert found["Ipv6CidrBlock"] == "2001:db9::/32"
    assert (found["Protocol"], found["RuleAction"]) == ("58", "allow")
    assert found["IcmpTypeCode"] == {"Type": 128, "Code": 0}
