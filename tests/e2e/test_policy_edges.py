"""Policies as IAM and S3 run them: size quotas, protected roles, versions never lost, the
caller's own access last, one unreadable bucket failing alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from sgupdater.kinds.policies import iam_read
from testkit import helpers, iam, s3
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _doc(cidr: str = A, pad: int = 0, effect: str = "Allow", op: str = "IpAddress") -> str:
    statement: dict[str, Any] = {
        "Sid": "Office" + "x" * pad,
        "Effect": effect,
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {op: {"aws:SourceIp": [cidr]}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _versions(aws: Aws, arn: str) -> dict[str, Any]:
    client = aws.client("iam")
    found = {}
    for v in client.list_policy_versions(PolicyArn=arn)["Versions"]:
        doc = client.get_policy_version(PolicyArn=arn, VersionId=v["VersionId"])
        found[v["VersionId"]] = (v["IsDefaultVersion"], doc["PolicyVersion"]["Document"])
    return found


def _five_versions(aws: Aws, document: str) -> str:
    client = aws.client("iam")
    arn: str = client.create_policy(PolicyName="office", PolicyDocument=document)["Policy"]["Arn"]
    for n in range(4):
        client.create_policy_version(PolicyArn=arn, PolicyDocument=_doc("10.0.0.0/8", pad=n))
    return arn


def test_local_iam_and_s3_refuse_what_aws_refuses(aws: Aws) -> None:
    client, store = aws.client("iam"), aws.client("s3")
    with pytest.raises(botocore.exceptions.ClientError, match="LimitExceeded"):
        client.create_policy(PolicyName="big", PolicyDocument=_doc(pad=6200))
    client.create_role(RoleName="web", AssumeRolePolicyDocument=TRUST)
    client.put_role_policy(RoleName="web", PolicyName="one", PolicyDocument=_doc(pad=6000))
    # The role's inline policies count together: 10,240 characters in all.
    with pytest.raises(botocore.exceptions.ClientError, match="LimitExceeded"):
        client.put_role_policy(RoleName="web", PolicyName="two", PolicyDocument=_doc(pad=4200))
    client.create_role(RoleName="linked", Path="/aws-service-role/x.amazonaws.com/",
                       AssumeRolePolicyDocument=TRUST)  # fmt: skip
    with pytest.raises(botocore.exceptions.ClientError, match="UnmodifiableEntity"):
        client.put_role_policy(RoleName="linked", PolicyName="p", PolicyDocument=_doc())
    for name in ("a-bucket", "b-bucket", "c-bucket"):
        store.create_bucket(Bucket=name)
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidRequest"):
        store.list_buckets()
    first = store.list_buckets(MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == ["a-bucket", "b-bucket"]
    assert first["Buckets"][0]["BucketRegion"] == "us-east-1"
    rest = store.list_buckets(MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["c-bucket"]
    assert "ContinuationToken" not in rest
    s3.deny_policy_reads("a-bucket")
    with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
        store.get_bucket_policy(Bucket="a-bucket")
    with pytest.raises(botocore.exceptions.ClientError, match="PolicyTooLarge"):
        store.put_bucket_policy(Bucket="b-bucket", Policy=_doc(pad=21000))


def test_a_policy_over_its_quota_is_blocked_with_the_figure_and_never_pruned(
    aws: Aws, cli: Cli
) -> None:
    # 6,142 characters now; B is 3 characters longer than A: 6,145 of IAM's 6,144.
    pad = 6142 - iam_read.size(json.loads(_doc()))
    arn = _five_versions(aws, _doc(pad=pad))
    before = _versions(aws, arn)
    ask = ["--from-cidr", A, "--to-cidr", B, "--policies", "--prune-policy-versions", "-o", "json"]
    planned = cli("update", *ask, "--dry-run")
    assert planned.code == 1
    (row,) = json.loads(planned.out)["changes"]
    assert row["status"] == "blocked"
    assert "6145 of 6144 characters" in row["detail"]
    assert cli("update", "--yes", *ask).code == 1
    assert _versions(aws, arn) == before


def test_a_new_version_refused_after_a_prune_puts_the_pruned_one_back(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    arn = _five_versions(aws, _doc())
    before = _versions(aws, arn)
    iam.refuse_next("create_policy_version", "MalformedPolicyDocument", "refused for the test")
    ask = ["--from-cidr", A, "--to-cidr", B, "--policies", "--prune-policy-versions", "-o", "json"]
    run = cli("update", "--yes", *ask, "--journal", str(tmp_path / "j.jsonl"))
    assert run.code == 1
    (row,) = json.loads(run.out)["changes"]
    assert row["status"] == "failed"
    assert "the pruned version's document was put back as v6" in row["detail"]
    after = _versions(aws, arn)
    # Still five versions, the same documents, the same default: nothing lost.
    assert sorted(json.dumps(d) for _, d in after.values()) == sorted(
        json.dumps(d) for _, d in before.values()
    )
    assert after["v1"] == before["v1"]


def test_protected_roles_are_blocked_with_where_to_change_them(aws: Aws, cli: Cli) -> None:
    client = aws.client("iam")
    for name, path in (("AWSReservedSSO_Admin", "/aws-reserved/sso.amazonaws.com/"),
                       ("AWSServiceRoleForX", "/aws-service-role/x.amazonaws.com/")):  # fmt: skip
        client.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST)
        iam.provision_inline(name, "office", _doc())
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--policies", "-o", "json")
    assert run.code == 1
    rows = {r["group_id"]: r for r in json.loads(run.out)["changes"]}
    sso = rows["role/AWSReservedSSO_Admin/office"]
    assert sso["status"] == "blocked"
    assert "change the permission set instead" in sso["detail"]
    assert rows["role/AWSServiceRoleForX/office"]["status"] == "blocked"
    for name in ("AWSReservedSSO_Admin", "AWSServiceRoleForX"):
        held = client.get_role_policy(RoleName=name, PolicyName="office")["PolicyDocument"]
        assert held == json.loads(_doc())


def _journal(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_an_unreadable_bucket_fails_alone_and_policies_are_written_last(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    ec2, store = aws.ec2(), aws.client("s3")
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    arn = aws.client("iam").create_policy(PolicyName="office", PolicyDocument=_doc())["Policy"][
        "Arn"
    ]
    for name in ("locked", "reports"):
        store.create_bucket(Bucket=name)
        store.put_bucket_policy(Bucket=name, Policy=_doc())
    s3.deny_policy_reads("locked")
    journal = tmp_path / "j.jsonl"
    ask = ["--from-cidr", A, "--to-cidr", B, "--policies", "-o", "json", "--journal", str(journal)]
    run = cli("update", "--yes", *ask)
    assert run.code == 1, run.err
    document = json.loads(run.out)
    (failure,) = document["failures"]
    assert (failure["kind"], failure["container"], failure["error_code"]) == (
        "bucket-policy", "s3://locked", "AccessDenied",
    )  # fmt: skip
    assert "s3://locked not read" in run.err
    assert document["summary"]["changed"] == 3
    assert B in {r[4] for r in helpers.rules(ec2, group)}
    assert B in json.dumps(_versions(aws, arn))
    # Every policy write comes after every other change of the run.
    kinds = [line["rule"]["kind"] for line in _journal(journal) if line["event"] == "before"]
    assert kinds[0] == "rule"
    assert sorted(kinds[1:]) == ["bucket-policy", "iam-policy"]
    # Rollback undoes in the same order: the policies last.
    back = tmp_path / "back.jsonl"
    undone = cli("rollback", str(journal), "--yes", "--journal", str(back))
    assert undone.code == 0, undone.err
    kinds = [line["rule"]["kind"] for line in _journal(back) if line["event"] == "before"]
    assert kinds[0] == "rule"
    assert sorted(kinds[1:]) == ["bucket-policy", "iam-policy"]


def test_policies_are_held_back_when_an_earlier_change_failed(aws: Aws, cli: Cli) -> None:
    where = aws.client("wafv2").create_ip_set(
        Name="office", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[A]
    )["Summary"]
    arn = aws.client("iam").create_policy(PolicyName="office", PolicyDocument=_doc())["Policy"][
        "Arn"
    ]
    # WAF refuses /0 in an IP set: that change fails, so the policy must wait.
    ask = ["--from-cidr", A, "--to-cidr", "0.0.0.0/0", "--allow-open-world", "--waf", "--policies"]
    run = cli("update", "--yes", *ask, "-o", "json")
    assert run.code == 1
    rows = {r["kind"]: r for r in json.loads(run.out)["changes"]}
    assert rows["ip-set"]["status"] == "failed"
    assert rows["iam-policy"]["status"] == "skipped"
    assert rows["iam-policy"]["detail"].startswith("held back: this policy decides who may call")
    assert json.loads(_doc()) in [d for _, d in _versions(aws, arn).values()]
    assert len(_versions(aws, arn)) == 1
    assert where["Name"] == "office"


def test_a_dry_run_warns_when_a_policy_governs_the_callers_own_calls(aws: Aws, cli: Cli) -> None:
    client = aws.client("iam")
    client.create_role(RoleName="Ops", AssumeRolePolicyDocument=TRUST)
    lock = _doc(effect="Deny", op="NotIpAddress")
    client.put_role_policy(RoleName="Ops", PolicyName="only-from-office", PolicyDocument=lock)
    role = f"arn:aws:iam::{ACCOUNT}:role/Ops"
    run = cli("update", "--from-cidr", A, "--to-cidr", B, "--policies", "--dry-run",
              "--role-arn", role)  # fmt: skip
    assert run.code == 0, run.err
    assert "policy role/Ops/only-from-office governs your own calls" in run.err
    other = cli("update", "--from-cidr", A, "--to-cidr", B, "--policies", "--dry-run")
    assert "governs your own calls" not in other.err
