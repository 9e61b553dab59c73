"""`sgupdater show` and the output formats."""

from __future__ import annotations

import json

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"

SHOW_COLUMNS = [
    "account",
    "region",
    "vpc_id",
    "group_id",
    "group_name",
    "direction",
    "protocol",
    "from_port",
    "to_port",
    "cidr",
    "description",
    "rule_id",
    "account_alias",
    "kind",
    "rule_action",
    "managed",
]


def seed(aws: Aws) -> tuple[str, str, str]:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    g = helpers.group(
        ec2,
        v,
        "web",
        ingress=(
            perm("tcp", 22, cidrs=(A,), description="office ssh"),
            perm("tcp", 443, cidrs=(A, B)),
        ),
        egress=(perm("udp", 53, cidrs=(A,)),),
    )
    return v, g, helpers.group(ec2, v, "other", ingress=(perm(cidrs=("10.0.0.0/8",)),))


def test_show_lists_ingress_and_egress_rules_as_tsv_when_piped(aws: Aws, cli: Cli) -> None:
    v, g, _ = seed(aws)
    run = cli("show", "--from-cidr", A)
    assert run.code == 0
    header, *lines = run.out.splitlines()
    assert header.split("\t") == SHOW_COLUMNS
    rows = [dict(zip(SHOW_COLUMNS, line.split("\t"), strict=True)) for line in lines]
    assert {(r["direction"], r["protocol"], r["from_port"], r["to_port"]) for r in rows} == {
        ("ingress", "tcp", "22", "22"),
        ("ingress", "tcp", "443", "443"),
        ("egress", "udp", "53", "53"),
    }
    ssh = next(r for r in rows if r["from_port"] == "22")
    assert ssh["account"] == "123456789012"
    assert ssh["region"] == "us-east-1"
    assert (ssh["vpc_id"], ssh["group_id"], ssh["group_name"]) == (v, g, "web")
    assert (ssh["cidr"], ssh["description"]) == (A, "office ssh")
    assert (
        ssh["rule_id"]
        == helpers.rule_ids(aws.ec2(), g)[("ingress", "tcp", 22, 22, A, "office ssh")]
    )


def test_show_with_to_cidr_lists_only_rules_still_lacking_it(aws: Aws, cli: Cli) -> None:
    seed(aws)
    run = cli("show", "--from-cidr", A, "--to-cidr", B, "-o", "json")
    ports = sorted((r["direction"], r["from_port"]) for r in json.loads(run.out)["rules"])
    assert ports == [("egress", 53), ("ingress", 22)]


def test_show_direction_filter(aws: Aws, cli: Cli) -> None:
    seed(aws)
    run = cli("show", "--from-cidr", A, "--direction", "ingress", "-o", "json")
    assert {r["direction"] for r in json.loads(run.out)["rules"]} == {"ingress"}


def test_show_changes_nothing(aws: Aws, cli: Cli) -> None:
    _, g, _ = seed(aws)
    before = helpers.rule_ids(aws.ec2(), g)
    cli("show", "--from-cidr", A)
    assert helpers.rule_ids(aws.ec2(), g) == before


def test_json_document_has_the_documented_fields(aws: Aws, cli: Cli) -> None:
    seed(aws)
    document = json.loads(cli("show", "--from-cidr", A, "-o", "json").out)
    assert set(document) == {
        "format_version",
        "tool_version",
        "command",
        "dry_run",
        "rules",
        "failures",
        "targets",
        "summary",
    }
    assert document["format_version"] == 2
    # Version 2: the neutral names follow the version-1 columns, with the same values.
    neutral = ["container", "container_id", "container_name", "entry_id"]
    row = document["rules"][0]
    assert list(row) == [*SHOW_COLUMNS, *neutral]
    assert row["container"] == "security group"
    assert (row["container_id"], row["container_name"], row["entry_id"]) == (
        row["group_id"], row["group_name"], row["rule_id"],
    )  # fmt: skip
    assert document["summary"] == {
        "targets": 1,
        "targets_failed": 0,
        "groups_scanned": 4,
        "containers_scanned": 4,
        "entries_matched": 3,
        "rules_matched": 3,
        "changes": 0,
        "changed": 0,
        "unchanged": 0,
        "failed": 0,
        "managed": 0,
        "blocked": 0,
        "accounts_skipped": 0,
        "in_doubt": 0,
        "moved_on": 0,
        "planned": 0,
        "left_out": 0,
    }


def test_update_json_change_fields(aws: Aws, cli: Cli) -> None:
    seed(aws)
    document = json.loads(
        cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "-o", "json").out
    )
    assert document["dry_run"] is True
    assert list(document["changes"][0]) == [
        "account",
        "region",
        "vpc_id",
        "group_id",
        "group_name",
        "direction",
        "protocol",
        "from_port",
        "to_port",
        "old_cidr",
        "new_cidr",
        "description",
        "rule_id",
        "action",
        "status",
        "detail",
        "new_rule_id",
        "account_alias",
        "kind",
        "rule_action",
        "managed",
        "prefix_list_id",
        "prefix_list_name",
        "container",
        "container_id",
        "container_name",
        "entry_id",
        "new_entry_id",
    ]
    assert {c["status"] for c in document["changes"]} == {"planned"}
    assert sorted(c["action"] for c in document["changes"]) == ["modify", "modify", "revoke"]


def test_table_output_names_group_ports_and_description_and_never_cuts(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, g, _ = seed(aws)
    monkeypatch.setenv("COLUMNS", "200")
    run = cli("show", "--from-cidr", A, "-o", "table")
    assert f"{g} (web)" in run.out
    assert "office ssh" in run.out
    assert "Account" in run.out
    assert "3 rules matched" in run.err
    # At 80 columns each rule is a block, with nothing cut.
    monkeypatch.setenv("COLUMNS", "80")
    run = cli("show", "--from-cidr", A, "-o", "table")
    assert all(len(line) <= 80 for line in run.out.splitlines())
    firsts = [line for line in run.out.splitlines() if line.startswith("- ")]
    assert len(firsts) == 3
    assert f"- 123456789012  us-east-1  {g} (web)" in firsts
    assert "  Desc: office ssh" in run.out
    assert "  CIDR: 192.0.2.0/24" in run.out
    assert "…" not in run.out


def test_tsv_plan_of_update(aws: Aws, cli: Cli) -> None:
    seed(aws)
    run = cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "-o", "tsv")
    header, *lines = run.out.splitlines()
    assert header.startswith("account\tregion\tvpc_id\tgroup_id")
    assert len(lines) == 3
    assert all(line.split("\t")[14] == "planned" for line in lines)


def test_table_prints_descriptions_as_text_not_markup(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    helpers.group(
        ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,), description="[prod] office"),)
    )
    run = cli("show", "--from-cidr", A, "-o", "table")
    assert "[prod] office" in run.out
