"""`sgupdater migrate`: literal rules become references to a prefix list, and back."""

from __future__ import annotations

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
        ec2,
        v,
        "web",
        ingress=(
            perm("tcp", 22, cidrs=(A,), description="office ssh"),
            perm("tcp", 443, cidrs=(A, "10.0.0.0/8")),
        ),
    )
    db = helpers.group(ec2, v, "db", egress=(perm("tcp", 5432, cidrs=(A,), description="pg"),))
    return web, db


def list_named(aws: Aws, name: str) -> list[dict[str, object]]:
    found = aws.ec2().describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [name]}]
    )["PrefixLists"]
    # EC2, like moto, lists a deleted list as delete-complete for a while.
    return [dict(pl) for pl in found if not str(pl.get("State", "")).startswith("delete")]


def test_migrate_creates_the_list_and_points_the_rules_at_it(aws: Aws, cli: Cli) -> None:
    web, db = seed(aws)
    ec2 = aws.ec2()
    ids_before = helpers.rule_ids(ec2, web)
    run = cli("migrate", "--yes", "--cidr", A, "--prefix-list", "office", "--create", "-o", "json")
    assert run.code == 0, run.err
    [made] = list_named(aws, "office")
    pl = str(made["PrefixListId"])
    assert made["MaxEntries"] == 5
    assert helpers.entries(ec2, pl) == {(A, "office ssh")}
    after = helpers.rule_ids(ec2, web)
    assert set(after) == {
        ("ingress", "tcp", 22, 22, pl, "office ssh"),
        ("ingress", "tcp", 443, 443, pl, ""),
        ("ingress", "tcp", 443, 443, "10.0.0.0/8", ""),
        ("egress", "-1", -1, -1, "0.0.0.0/0", ""),
    }
    # EC2 cannot change a rule's type: each reference is a new rule, the literal one is gone.
    assert not set(after.values()) & set(ids_before.values()) - {
        ids_before[("egress", "-1", -1, -1, "0.0.0.0/0", "")],
        ids_before[("ingress", "tcp", 443, 443, "10.0.0.0/8", "")],
    }
    changes = json.loads(run.out)["changes"]
    new_ids = {c["new_rule_id"] for c in changes if c["action"] == "authorize"}
    assert after[("ingress", "tcp", 22, 22, pl, "office ssh")] in new_ids
    # The rows name the list the run created by its id, not "(new)".
    pointed = {c["prefix_list_id"] for c in changes if c["action"] in ("authorize", "revoke")}
    assert pointed == {pl}
    assert ("egress", "tcp", 5432, 5432, pl, "pg") in helpers.rules(ec2, db)
    # The next office move is one prefix-list edit.
    assert cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists").code == 0
    assert helpers.entries(ec2, pl) == {(B, "office ssh")}


def test_dry_run_plans_the_list_and_changes_nothing(aws: Aws, cli: Cli) -> None:
    web, _ = seed(aws)
    before = helpers.rules(aws.ec2(), web)
    run = cli(
        "migrate", "--cidr", A, "--prefix-list", "office", "--create", "--dry-run", "-o", "table"
    )
    assert run.code == 0, run.err
    assert "create" in run.out
    assert "(new) (office)" in run.out
    assert list_named(aws, "office") == []
    assert helpers.rules(aws.ec2(), web) == before


def test_without_create_a_missing_list_fails_that_target(aws: Aws, cli: Cli) -> None:
    web, _ = seed(aws)
    before = helpers.rules(aws.ec2(), web)
    run = cli("migrate", "--yes", "--cidr", A, "--prefix-list", "office")
    assert run.code == 1
    assert "--create" in run.err
    assert helpers.rules(aws.ec2(), web) == before


def test_an_existing_list_is_reused_and_gains_the_cidr(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    web, _ = seed(aws)
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "office", (("203.0.113.0/24", "lyon"),))
    before = helpers.rules(ec2, web)
    journal = tmp_path / "j.jsonl"
    run = cli(
        "migrate", "--yes", "--cidr", A, "--prefix-list",
        pl, "-o", "json", "--journal", str(journal),
    )  # fmt: skip
    assert run.code == 0, run.err
    assert helpers.entries(ec2, pl) == {("203.0.113.0/24", "lyon"), (A, "office ssh")}
    assert ("ingress", "tcp", 22, 22, pl, "office ssh") in helpers.rules(ec2, web)
    changes = json.loads(run.out)["changes"]
    details = {c["detail"] for c in changes if c["kind"] == "rule" and c["action"] == "authorize"}
    assert details
    assert all("also allows 203.0.113.0/24" in d for d in details)
    # Rollback allows the CIDR again, drops the references, then takes the CIDR out of the list.
    run = cli("rollback", str(journal), "--yes")
    assert run.code == 0, run.err
    assert helpers.rules(ec2, web) == before
    assert helpers.entries(ec2, pl) == {("203.0.113.0/24", "lyon")}


def test_groups_where_the_reference_would_not_fit_are_reported(aws: Aws, cli: Cli) -> None:
    web, db = seed(aws)
    # web holds 3 ingress rules; each reference of 5 entries sits beside the rule it replaces:
    # 3 + 5 = 8 fits a quota of 10, 8 + 5 = 13 does not.
    run = cli(
        "migrate", "--yes", "--cidr", A, "--prefix-list", "office", "--create",
        "--rules-quota", "10", "-o", "json",
    )  # fmt: skip
    assert run.code == 1
    changes = json.loads(run.out)["changes"]
    blocked = [c for c in changes if c["status"] == "blocked"]
    assert [(c["group_id"], c["from_port"]) for c in blocked] == [(web, 443)]
    assert "quota 10" in blocked[0]["detail"]
    pl = str(list_named(aws, "office")[0]["PrefixListId"])
    assert ("ingress", "tcp", 443, 443, A, "") in helpers.rules(aws.ec2(), web)
    assert ("egress", "tcp", 5432, 5432, pl, "pg") in helpers.rules(aws.ec2(), db)


def test_rollback_restores_literal_rules_and_deletes_the_created_list(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    web, db = seed(aws)
    ec2 = aws.ec2()
    before = (helpers.rules(ec2, web), helpers.rules(ec2, db))
    journal = tmp_path / "j.jsonl"
    run = cli(
        "migrate", "--yes", "--cidr", A,
        "--prefix-list", "office", "--create", "--journal", str(journal),
    )  # fmt: skip
    assert run.code == 0, run.err
    run = cli("rollback", str(journal), "--yes")
    assert run.code == 0, run.err
    assert (helpers.rules(ec2, web), helpers.rules(ec2, db)) == before
    assert list_named(aws, "office") == []


def test_plan_file_then_apply(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    web, _ = seed(aws)
    plan = tmp_path / "plan.json"
    run = cli(
        "migrate", "--cidr", A, "--prefix-list", "office", "--create", "--dry-run",
        "--plan-out", str(plan),
    )  # fmt: skip
    assert run.code == 0, run.err
    run = cli("apply", str(plan), "--yes")
    assert run.code == 0, run.err
    pl = str(list_named(aws, "office")[0]["PrefixListId"])
    assert ("ingress", "tcp", 22, 22, pl, "office ssh") in helpers.rules(aws.ec2(), web)


@pytest.mark.parametrize(
    "args",
    [
        ("--cidr", A, "--prefix-list", "com.amazonaws.us-east-1.s3"),
        ("--cidr", A, "--prefix-list", " "),
        ("--cidr", "192.0.2.7/24", "--prefix-list", "office"),
        ("--cidr", A),
        ("--cidr", A, "--prefix-list", "office", "--max-entries", "0"),
        ("--cidr", A, "--prefix-list", "office", "--rules-quota", "0"),
        ("--cidr", A, "--prefix-list", "office", "--description", "x" * 256),
        ("--cidr", A, "--prefix-list", "office", "--description", "a\tb"),
    ],
)
def test_bad_migrate_input_is_exit_2(aws: Aws, cli: Cli, args: tuple[str, ...]) -> None:
    web, _ = seed(aws)
    before = helpers.rules(aws.ec2(), web)
    run = cli("migrate", "--yes", *args, "--create")
    assert run.code == 2
    assert len(run.err.strip().splitlines()) == 1
    assert "Traceback" not in run.err
    assert helpers.rules(aws.ec2(), web) == before
    assert list_named(aws, "office") == []


def test_an_aws_managed_list_by_id_fails_the_target(aws: Aws, cli: Cli) -> None:
    web, _ = seed(aws)
    before = helpers.rules(aws.ec2(), web)
    s3 = aws.ec2().describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]
    run = cli("migrate", "--yes", "--cidr", A, "--prefix-list", s3)
    assert run.code == 1
    assert "AWS-managed" in run.err
    assert helpers.rules(aws.ec2(), web) == before


def test_the_new_entry_takes_the_description_given(aws: Aws, cli: Cli) -> None:
    seed(aws)
    run = cli(
        "migrate", "--yes", "--cidr", A,
        "--prefix-list", "office", "--create", "--description", "HQ",
    )  # fmt: skip
    assert run.code == 0, run.err
    pl = str(list_named(aws, "office")[0]["PrefixListId"])
    assert helpers.entries(aws.ec2(), pl) == {(A, "HQ")}
