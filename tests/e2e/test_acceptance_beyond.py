"""Issue 6's acceptance: one dry run over a fleet shows rules, list entries and ACL entries
with managed groups flagged; applying it and rolling it back leave exactly the expected state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")


def seed(aws: Aws, account: str, region: str) -> dict[str, str]:
    ec2 = aws.ec2_in(account, region)
    v = helpers.vpc(ec2)
    made = {
        "web": helpers.group(
            ec2,
            v,
            "web",
            ingress=(
                perm("tcp", 22, cidrs=(A,), description="office"),
                perm("tcp", 443, cidrs=("192.0.2.10/32",), description="alice"),
            ),
        ),
        "stack": helpers.group(ec2, v, "stack", egress=(perm("udp", 53, cidrs=(A,)),)),
        "list": helpers.prefix_list(ec2, "offices", ((A, "paris"), ("10.0.0.0/8", "dc"))),
        "acl": helpers.acl(
            ec2,
            v,
            (100, False, "6", "allow", A, 22, 22),
            (200, True, "6", "allow", "192.0.2.10/32", 1024, 65535),
        ),
    }
    ec2.create_tags(
        Resources=[made["stack"]], Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "dns"}]
    )
    return made


def state(aws: Aws, made: dict[tuple[str, str], dict[str, str]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for (account, region), ids in made.items():
        ec2 = aws.ec2_in(account, region)
        where = f"{account}/{region}"
        found[where] = (
            helpers.rule_ids(ec2, ids["web"]),
            helpers.rule_ids(ec2, ids["stack"]),
            helpers.entries(ec2, ids["list"]),
            helpers.acl_entries(ec2, ids["acl"]),
        )
    return found


def test_one_plan_over_a_fleet_applies_and_rolls_back_exactly(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    made = {(a, r): seed(aws, a, r) for a in ACCOUNTS for r in REGIONS}
    original = state(aws, made)
    fleet = [arg for a in ACCOUNTS for arg in ("--role-arn", f"arn:aws:iam::{a}:role/Ops")]
    fleet += [arg for r in REGIONS for arg in ("-r", r)]
    ask = ["update", "--from-cidr", A, "--to-cidr", B, "--match", "within", "--renumber"]
    ask += ["--prefix-lists", "--nacls", *fleet]

    plan = tmp_path / "plan.json"
    dry = cli(*ask, "--dry-run", "--plan-out", str(plan), "-o", "json")
    assert dry.code == 0, dry.err
    changes = json.loads(dry.out)["changes"]
    kinds = {(c["account"], c["region"], c["kind"]) for c in changes}
    assert kinds == {
        (a, r, k) for a in ACCOUNTS for r in REGIONS for k in ("rule", "prefix-list", "nacl")
    }
    assert len(changes) == 4 * 6  # per target: 3 rules, 1 list entry, 2 ACL entries
    flagged = {c["group_name"]: c["managed"] for c in changes if c["kind"] == "rule"}
    assert flagged == {"web": "", "stack": "cloudformation:dns"}
    assert state(aws, made) == original

    journal = tmp_path / "journal.jsonl"
    run = cli("apply", str(plan), "--yes", "--journal", str(journal), "-o", "json")
    assert run.code == 0, run.err
    assert {c["status"] for c in json.loads(run.out)["changes"]} == {"applied"}, [
        (c["kind"], c["detail"]) for c in json.loads(run.out)["changes"] if c["status"] != "applied"
    ]
    for (account, region), ids in made.items():
        ec2 = aws.ec2_in(account, region)
        assert {r[4:] for r in helpers.rules(ec2, ids["web"])} == {
            (B, "office"), ("198.51.100.10/32", "alice"), ("0.0.0.0/0", "")
        }  # fmt: skip
        assert ("egress", "udp", 53, 53, B, "") in helpers.rules(ec2, ids["stack"])
        assert helpers.entries(ec2, ids["list"]) == {(B, "paris"), ("10.0.0.0/8", "dc")}
        assert helpers.acl_entries(ec2, ids["acl"]) == {
            (100, False, "6", "allow", B, (22, 22)),
            (200, True, "6", "allow", "198.51.100.10/32", (1024, 65535)),
        }

    run = cli("rollback", str(journal), "--yes")
    assert run.code == 0, run.err
    # In place both ways: even the rule ids are what they were.
    assert state(aws, made) == original
