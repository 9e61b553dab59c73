"""WAFv2 IP sets: found with --waf, rewritten in place under the LockToken, rolled back exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from moto.wafv2.models import FakeIPSet

from testkit import helpers, waf
from testkit.helpers import perm
from tests.e2e.conftest import REGION, Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
OTHER = "198.18.0.0/24"


def _ip_set(
    aws: Aws, name: str, addresses: list[str], scope: str = "REGIONAL", region: str = REGION
) -> dict[str, str]:
    made = aws.client("wafv2", region).create_ip_set(
        Name=name,
        Scope=scope,
        IPAddressVersion="IPV4",
        Addresses=addresses,
        Description=f"{name} allow-list",
    )["Summary"]
    return {"Name": made["Name"], "Id": made["Id"], "Scope": scope}


def _read(aws: Aws, where: dict[str, str], region: str = REGION) -> dict[str, Any]:
    ip_set: dict[str, Any] = aws.client("wafv2", region).get_ip_set(**where)["IPSet"]
    return ip_set


def _fleet(aws: Aws) -> dict[str, tuple[dict[str, str], str]]:
    return {
        "office": (_ip_set(aws, "office", [A, "203.0.113.7/32"]), REGION),
        "vpn": (_ip_set(aws, "vpn", ["10.1.0.0/16", A], region="eu-west-1"), "eu-west-1"),
        "cdn": (_ip_set(aws, "cdn-admin", [A], scope="CLOUDFRONT"), REGION),
    }


def test_update_rewrites_exactly_the_old_range_and_rollback_restores_it(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    sets = _fleet(aws)
    before = {name: _read(aws, where, region) for name, (where, region) in sets.items()}
    journal = tmp_path / "j.jsonl"
    ask = ["--from-cidr", A, "--to-cidr", B, "--waf", "-r", REGION, "-r", "eu-west-1"]
    run = cli("update", "--yes", *ask, "--journal", str(journal), "-o", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["summary"]["changed"] == 3
    after = {name: _read(aws, where, region) for name, (where, region) in sets.items()}
    assert after["office"]["Addresses"] == [B, "203.0.113.7/32"]
    assert after["vpn"]["Addresses"] == ["10.1.0.0/16", B]
    assert after["cdn"]["Addresses"] == [B]
    # Everything else about each set is as it was.
    for name in sets:
        assert {**after[name], "Addresses": []} == {**before[name], "Addresses": []}
    assert cli("rollback", str(journal), "--dry-run", "--detailed-exitcode").code == 3
    assert cli("rollback", str(journal), "--yes", "--detailed-exitcode").code == 2
    undone = cli("rollback", str(journal), "--yes")
    assert undone.code == 0, undone.err
    assert {name: _read(aws, w, r) for name, (w, r) in sets.items()} == before
    # Nothing is left to undo: a dry run of the same rollback says so with 0.
    assert cli("rollback", str(journal), "--dry-run", "--detailed-exitcode").code == 0


def test_ip_sets_are_searched_only_when_asked(aws: Aws, cli: Cli) -> None:
    _fleet(aws)
    without = cli("show", "--from-cidr", A, "-o", "json")
    assert json.loads(without.out)["rules"] == []
    shown = cli("show", "--from-cidr", A, "--waf", "-o", "json")
    assert shown.code == 0, shown.err
    # us-east-1 only: its REGIONAL set and the account's CLOUDFRONT set.
    containers = sorted(r["group_name"] for r in json.loads(shown.out)["rules"])
    assert containers == ["cdn-admin (CLOUDFRONT)", "office (REGIONAL)"]


def test_an_edit_between_read_and_write_is_retried_never_overwritten(aws: Aws, cli: Cli) -> None:
    where = _ip_set(aws, "office", [A, "203.0.113.7/32"])

    def someone_else(ip_set: FakeIPSet) -> None:
        ip_set.update(ip_set.description, [*ip_set.addresses, OTHER])

    waf.before_next_update(someone_else)
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--waf", "-o", "json")
    assert run.code == 0, run.err
    assert _read(aws, where)["Addresses"] == [B, "203.0.113.7/32", OTHER]


def test_local_waf_refuses_what_waf_refuses(aws: Aws) -> None:
    where = _ip_set(aws, "office", [A])
    client = aws.client("wafv2")
    token = client.get_ip_set(**where)["LockToken"]
    # UpdateIPSet replaces every mutable setting: no Description sent, none kept.
    client.update_ip_set(**where, Addresses=[B], LockToken=token)
    assert "Description" not in _read(aws, where) or not _read(aws, where)["Description"]
    token = client.get_ip_set(**where)["LockToken"]
    with pytest.raises(botocore.exceptions.ClientError, match="WAFInvalidParameterException"):
        client.update_ip_set(**where, Addresses=["0.0.0.0/0"], LockToken=token)
    with pytest.raises(botocore.exceptions.ClientError, match="WAFOptimisticLockException"):
        client.update_ip_set(
            **where, Addresses=[A], LockToken="00000000-0000-0000-0000-000000000000"
        )
    with pytest.raises(botocore.exceptions.ClientError, match="WAFInvalidParameterException"):
        aws.client("wafv2", "eu-west-1").list_ip_sets(Scope="CLOUDFRONT")


def test_detailed_exitcode_says_3_while_the_old_range_is_trusted_anywhere_then_0(
    aws: Aws, cli: Cli
) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    listed = helpers.prefix_list(ec2, "office", ((A, "office"),))
    where = _ip_set(aws, "office", [A])
    every = ["--prefix-lists", "--waf", "--detailed-exitcode"]
    assert cli("show", "--from-cidr", A, *every).code == 3
    assert cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", *every).code == 3
    refused = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, *every)
    assert refused.code == 2
    assert "--detailed-exitcode goes with show or --dry-run" in refused.err
    done = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists", "--waf", "-o", "json"
    )
    assert done.code == 0, done.err
    assert json.loads(done.out)["summary"]["changed"] == 3
    assert B in {rule[4] for rule in helpers.rules(ec2, group)}
    assert helpers.entries(ec2, listed) == {(B, "office")}
    assert _read(aws, where)["Addresses"] == [B]
    assert cli("show", "--from-cidr", A, *every).code == 0
    assert cli("update", "--from-cidr", A, "--to-cidr", B, "--dry-run", *every).code == 0


def test_cloudfront_sets_are_reached_through_us_east_1_from_any_region(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    where = _ip_set(aws, "cdn-admin", [A, "203.0.113.7/32"], scope="CLOUDFRONT")
    before = _read(aws, where)
    journal = tmp_path / "j.jsonl"
    ask = ["--from-cidr", A, "--to-cidr", B, "--waf", "-r", "eu-west-1", "-r", "ap-south-1"]
    run = cli("update", "--yes", *ask, "--journal", str(journal), "-o", "json")
    assert run.code == 0, run.err
    changes = json.loads(run.out)["changes"]
    # Once for the account, though the run visits two regions and neither is us-east-1.
    assert [(c["kind"], c["status"]) for c in changes] == [("cloudfront-ip-set", "applied")]
    assert _read(aws, where)["Addresses"] == [B, "203.0.113.7/32"]
    assert cli("rollback", str(journal), "--yes").code == 0
    assert _read(aws, where) == before


def test_a_plan_naming_an_ip_set_in_another_form_is_refused_before_any_call(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    where = _ip_set(aws, "office", [A])
    plan = tmp_path / "plan.json"
    made = cli(
        "update", "--from-cidr", A, "--to-cidr", B, "--waf", "--dry-run", "--plan-out", str(plan)
    )
    assert made.code == 0, made.err
    document = json.loads(plan.read_text())
    document["targets"][0]["changes"][0]["rule"]["group_id"] = "REGIONAL/office/../../other"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    run = cli("apply", str(edited), "--yes")
    assert run.code == 2
    assert "group_id" in run.err
    assert "is not of the expected form" in run.err
    assert _read(aws, where)["Addresses"] == [A]
