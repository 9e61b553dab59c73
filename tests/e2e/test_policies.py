"""aws:SourceIp conditions in IAM and bucket policies: only those values change, and come back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from sgupdater.kinds.policies.iam_read import policy_json
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
OTHER = "203.0.113.0/24"


def _document() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OfficeOnly",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": [OTHER, A]}},
            },
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    "NotIpAddress": {"aws:SourceIp": A},
                    "Bool": {"aws:ViaAWSService": "false"},
                },
            },
        ],
    }


def _bucket_document() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FromTheOffice",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::reports/*",
                "Condition": {"ForAnyValue:IpAddress": {"aws:SourceIp": [A]}},
            }
        ],
    }


def _fleet(aws: Aws) -> dict[str, Any]:
    iam, s3 = aws.client("iam"), aws.client("s3")
    arn = iam.create_policy(PolicyName="office", PolicyDocument=json.dumps(_document()))["Policy"][
        "Arn"
    ]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="web", PolicyName="office", PolicyDocument=json.dumps(_document()))
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_policy(Bucket="reports", Policy=json.dumps(_bucket_document()))
    return {"arn": arn}


def _documents(aws: Aws, arn: str) -> dict[str, Any]:
    iam, s3 = aws.client("iam"), aws.client("s3")
    default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return {
        "managed": iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"][
            "Document"
        ],
        "inline": iam.get_role_policy(RoleName="web", PolicyName="office")["PolicyDocument"],
        "bucket": json.loads(s3.get_bucket_policy(Bucket="reports")["Policy"]),
    }


def _swapped(document: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    text = json.dumps(document).replace(f'"{old}"', f'"{new}"')
    return json.loads(text)  # type: ignore[no-any-return]


def test_show_lists_each_statement_value_and_says_what_not_ip_address_means(
    aws: Aws, cli: Cli
) -> None:
    _fleet(aws)
    run = cli("show", "--from-cidr", A, "--policies", "-o", "json")
    assert run.code == 0, run.err
    rows = json.loads(run.out)["rules"]
    # Managed and inline: two statements each; the bucket: one.
    assert len(rows) == 5
    assert sorted({r["kind"] for r in rows}) == ["bucket-policy", "iam-policy"]
    denies = [r for r in rows if "NotIpAddress" in (r["description"] or "")]
    assert len(denies) == 2
    assert all("everyone but this range" in r["description"] for r in denies)
    assert cli("show", "--from-cidr", A, "-o", "json").out.count('"kind"') == 0


def test_update_changes_exactly_those_values_and_rollback_restores_them(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    arn = _fleet(aws)["arn"]
    before = _documents(aws, arn)
    journal = tmp_path / "j.jsonl"
    run = cli(
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "--policies",
        "--journal",
        str(journal),
        "-o",
        "json",
    )
    assert run.code == 0, run.err
    assert json.loads(run.out)["summary"]["changed"] == 5
    after = _documents(aws, arn)
    for name in before:
        assert after[name] == _swapped(before[name], A, B), name
    versions = aws.client("iam").list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 2
    undone = cli("rollback", str(journal), "--yes")
    assert undone.code == 0, undone.err
    assert _documents(aws, arn) == before
    # The managed policy's first version is its default again; no third one was made.
    policy = aws.client("iam").get_policy(PolicyArn=arn)["Policy"]
    assert policy["DefaultVersionId"] == "v1"
    assert len(aws.client("iam").list_policy_versions(PolicyArn=arn)["Versions"]) == 2


def test_a_policy_edited_between_plan_and_apply_is_skipped_not_overwritten(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    _fleet(aws)
    plan = tmp_path / "plan.json"
    assert (
        cli(
            "update",
            "--from-cidr",
            A,
            "--to-cidr",
            B,
            "--policies",
            "--dry-run",
            "--plan-out",
            str(plan),
        ).code
        == 0
    )
    edited = _swapped(_bucket_document(), A, OTHER)
    aws.client("s3").put_bucket_policy(Bucket="reports", Policy=json.dumps(edited))
    run = cli("apply", str(plan), "--yes", "-o", "json")
    assert run.code == 0, run.err
    statuses = {
        c["kind"]: c["status"]
        for c in json.loads(run.out)["changes"]
        if c["kind"] == "bucket-policy"
    }
    assert statuses == {"bucket-policy": "skipped"}
    assert json.loads(aws.client("s3").get_bucket_policy(Bucket="reports")["Policy"]) == edited


def test_remove_leaves_values_whose_removal_would_let_more_in(aws: Aws, cli: Cli) -> None:
    arn = _fleet(aws)["arn"]
    run = cli("remove", "--yes", "--cidr", A, "--policies", "-o", "json")
    assert run.code == 0, run.err
    after = _documents(aws, arn)
    # The Allow loses the range; the Deny of everyone but it keeps it (dropping it would widen).
    assert after["managed"]["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"] == [OTHER]
    assert after["managed"]["Statement"][1]["Condition"]["NotIpAddress"]["aws:SourceIp"] == A
    # The bucket's only value stays: an empty condition would mean something else.
    assert (
        json.loads(aws.client("s3").get_bucket_policy(Bucket="reports")["Policy"])
        == _bucket_document()
    )


def test_a_managed_policy_with_five_versions_is_blocked(aws: Aws, cli: Cli) -> None:
    arn = _fleet(aws)["arn"]
    iam = aws.client("iam")
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(_document()))
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--policies", "-o", "json")
    assert run.code == 1
    assert "5 versions" in run.err
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5


def test_prune_policy_versions_makes_room_and_journals_the_deleted_version(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    arn = _fleet(aws)["arn"]
    iam = aws.client("iam")
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(_document()))
    # v1 is the default: the oldest version that is not is v2.
    oldest = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"]
    journal = tmp_path / "j.jsonl"
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--policies",
        "--prune-policy-versions", "--journal", str(journal), "-o", "json",
    )  # fmt: skip
    assert run.code == 0, run.err
    versions = {v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]}
    assert "v2" not in versions
    assert len(versions) == 5
    kept = [json.loads(line) for line in journal.read_text().splitlines()]
    kept = [k for k in kept if k["event"] == "kept"]
    # The pruned version, and the inline and bucket documents before they were put back.
    assert [k["container"] for k in kept if "deleted" in k["what"]] == [arn]
    assert [k["document"] for k in kept if "deleted" in k["what"]] == [oldest]
    assert {k["container"] for k in kept} == {arn, "role/web/office", "s3://reports"}
    # The journal still rolls back: the values come back, the deleted version does not.
    undone = cli("rollback", str(journal), "--yes")
    assert undone.code == 0, undone.err
    assert _documents(aws, arn)["managed"] == _document()


def test_the_config_file_turns_policies_and_ip_sets_on(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    _fleet(aws)
    aws.client("wafv2").create_ip_set(
        Name="office", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[A]
    )
    config = tmp_path / "sgupdater.yaml"
    config.write_text("scope:\n  policies: true\n  waf: true\n")
    run = cli("show", "--from-cidr", A, "--config", str(config), "-o", "json")
    assert run.code == 0, run.err
    kinds = sorted(r["kind"] for r in json.loads(run.out)["rules"])
    assert kinds == ["bucket-policy", *["iam-policy"] * 4, "ip-set"]


def test_remove_only_where_takes_a_value_only_from_conditions_holding_the_other(
    aws: Aws, cli: Cli
) -> None:
    def allow(sid: str, *cidrs: str) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": list(cidrs)}},
        }

    document = {
        "Version": "2012-10-17",
        "Statement": [allow("Both", A, OTHER), allow("Old", A, "10.9.0.0/16")],
    }
    iam = aws.client("iam")
    arn = iam.create_policy(PolicyName="two", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    run = cli("remove", "--yes", "--cidr", A, "--only-where", OTHER, "--policies", "-o", "json")
    assert run.code == 0, run.err
    after = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"]
    # OTHER stands beside A in "Both" only: "Old" keeps A, or its callers would lose access.
    assert after["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"] == [OTHER]
    assert after["Statement"][1]["Condition"]["IpAddress"]["aws:SourceIp"] == [A, "10.9.0.0/16"]


def test_local_iam_refuses_what_iam_refuses(aws: Aws) -> None:
    arn = _fleet(aws)["arn"]
    iam = aws.client("iam")
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(_document()))
    # CreatePolicyVersion: "A managed policy can have up to five versions."
    with pytest.raises(botocore.exceptions.ClientError, match="LimitExceeded"):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(_document()))
    # DeletePolicyVersion: "You cannot delete the default version from a policy".
    with pytest.raises(botocore.exceptions.ClientError, match="DeleteConflict"):
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")


def test_written_documents_stay_within_iams_character_range() -> None:
    document = {"Statement": [{"Sid": "Büro東京", "Condition": {"IpAddress": {"aws:SourceIp": A}}}]}
    text = policy_json(document)
    assert all(ord(c) <= 0xFF for c in text)
    assert json.loads(text) == document
