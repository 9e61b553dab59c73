"""Least privilege: examples/iam-policy.json is enough, and each action in it is needed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core.authorization import enable_iam_authentication

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import REGION, Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
EXAMPLES = Path(__file__).parent.parent.parent / "examples"
POLICY = json.loads((EXAMPLES / "iam-policy.json").read_text())


def operator(aws: Aws, policy: object) -> None:
    """An IAM user holding only `policy`, as profile `least`."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="operator")
    iam.put_user_policy(
        UserName="operator", PolicyName="sgupdater", PolicyDocument=json.dumps(policy)
    )
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    with aws.credentials.open("a") as f:
        f.write(
            f"\n[least]\naws_access_key_id = {key['AccessKeyId']}\n"
            f"aws_secret_access_key = {key['SecretAccessKey']}\n"
        )
    aws.add_profile("least", f"region = {REGION}")


@pytest.fixture
def enforced() -> Iterator[None]:
    """moto checks every request against IAM, as AWS does, while the test body runs."""
    with enable_iam_authentication():
        yield


def without(action: str) -> object:
    statements = [
        {**s, "Action": [a for a in s["Action"] if a != action]} for s in POLICY["Statement"]
    ]
    # A statement left with no action is no statement (IAM refuses it).
    return {**POLICY, "Statement": [s for s in statements if s["Action"]]}


def test_the_shipped_policy_is_enough_for_show_update_and_rollback(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    ec2 = aws.ec2()
    group = helpers.group(
        ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)), perm("tcp", 443, cidrs=(A, B)))
    )
    before = helpers.rules(ec2, group)
    operator(aws, POLICY)
    journal = tmp_path / "run.jsonl"
    with enable_iam_authentication():
        show = cli("show", "--from-cidr", A, "-p", "least")
        dry = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "-p", "least", "--dry-run")
        update = cli(
            "update",
            "--yes",
            "--from-cidr",
            A,
            "--to-cidr",
            B,
            "-p",
            "least",
            "--journal",
            str(journal),
        )
        after_update = helpers.rules(aws.ec2(profile="least"), group)
        undo = cli("rollback", "--yes", str(journal))
    assert show.code == 0, show.err
    assert dry.code == 0, dry.err
    assert update.code == 0, update.err
    assert ("ingress", "tcp", 22, 22, B, "") in after_update
    assert undo.code == 0, undo.err
    assert helpers.rules(ec2, group) == before


def test_the_shipped_policy_is_enough_for_an_inventory(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    aws.client("config").put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        AccountAggregationSources=[{"AccountIds": ["123456789012"], "AllAwsRegions": True}],
    )
    operator(aws, POLICY)
    with enable_iam_authentication():
        show = cli("show", "--from-cidr", A, "-p", "least", "--inventory", "config:org")
        dry = cli("update", "--from-cidr", A, "--to-cidr", B, "-p", "least", "--dry-run",
                  "--inventory", "config:org")  # fmt: skip
    assert show.code == 0, show.err
    assert dry.code == 0, dry.err
    assert A in show.out
    assert "1 account-region(s) to visit" in dry.err


@pytest.mark.parametrize(
    ("action", "command"),
    [
        ("ec2:ModifySecurityGroupRules", ["update", "--yes", "--from-cidr", A, "--to-cidr", B]),
        ("ec2:DescribeSecurityGroupRules", ["show", "--from-cidr", A]),
        ("ec2:AuthorizeSecurityGroupIngress", ["add", "--yes", "--from-cidr", A, "--to-cidr", B]),
        (
            "ec2:ModifyManagedPrefixList",
            ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists"],
        ),
        (
            "ec2:ReplaceNetworkAclEntry",
            ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "--nacls"],
        ),
        (
            "ec2:CreateManagedPrefixList",
            ["migrate", "--yes", "--cidr", A, "--prefix-list", "o", "--create"],
        ),
        ("wafv2:GetIPSet", ["show", "--from-cidr", A, "--waf"]),
        (
            "config:SelectAggregateResourceConfig",
            ["show", "--from-cidr", A, "--inventory", "config:org"],
        ),
        ("wafv2:UpdateIPSet", ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "--waf"]),
        (
            "iam:CreatePolicyVersion",
            ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "--policies"],
        ),
        ("s3:PutBucketPolicy", ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "--policies"]),
    ],
)
def test_without_one_action_the_failure_names_the_missing_permission(
    aws: Aws, cli: Cli, action: str, command: list[str]
) -> None:
    state = _everything(aws, helpers.rule_ids)
    before = state()
    operator(aws, without(action))
    with enable_iam_authentication():
        run = cli(*command, "-p", "least")
    assert run.code == 1
    assert action.split(":")[1] in run.err
    assert "Traceback" not in run.err
    after = state()
    # What the missing action would have changed is untouched (other kinds may go ahead).
    touched = 1 if "PrefixList" in action and "migrate" not in command else 0
    touched = 2 if "NetworkAcl" in action else touched
    touched = 3 if action.startswith("wafv2") else touched
    touched = 4 if action.startswith("iam:") else 5 if action.startswith("s3:") else touched
    assert after[touched] == before[touched]


def _everything(
    aws: Aws, rules_of: Callable[[Any, str], object]
) -> Callable[[], tuple[object, ...]]:
    """A group, a prefix list, an ACL, an IP set and policies allowing A; their state now."""
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    group = helpers.group(ec2, v, "web", ingress=(perm(cidrs=(A,), description="office"),))
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"),))
    acl = helpers.acl(ec2, v, (100, False, "6", "allow", A, 22, 22))
    ip_set = _ip_set(aws)
    policies = _policies(aws)

    def state() -> tuple[object, ...]:
        addresses = aws.client("wafv2").get_ip_set(**ip_set)["IPSet"]["Addresses"]
        return (
            rules_of(ec2, group),
            helpers.entries(ec2, pl),
            helpers.acl_entries(ec2, acl),
            addresses,
            *policies(),
        )

    return state


def _policies(aws: Aws) -> Callable[[], tuple[object, object]]:
    """A customer-managed policy and a bucket policy allowing A; a reader of both documents."""
    statement: dict[str, object] = {
        "Sid": "Office",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::reports/*",
        "Condition": {"IpAddress": {"aws:SourceIp": [A]}},
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    iam, s3 = aws.client("iam"), aws.client("s3")
    own = {k: v for k, v in statement.items() if k != "Principal"}
    managed = {"Version": "2012-10-17", "Statement": [own]}
    arn = iam.create_policy(PolicyName="office", PolicyDocument=json.dumps(managed))["Policy"][
        "Arn"
    ]
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_policy(Bucket="reports", Policy=json.dumps(document))

    def read() -> tuple[object, object]:
        default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=default)
        bucket = json.loads(s3.get_bucket_policy(Bucket="reports")["Policy"])
        return version["PolicyVersion"]["Document"], bucket

    return read


def _ip_set(aws: Aws) -> dict[str, str]:
    made = aws.client("wafv2").create_ip_set(
        Name="office", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[A]
    )["Summary"]
    return {"Name": made["Name"], "Id": made["Id"], "Scope": "REGIONAL"}


def test_the_read_only_statement_is_enough_for_show_and_dry_runs_of_every_kind(
    aws: Aws, cli: Cli
) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    helpers.group(ec2, v, "web", ingress=(perm(cidrs=(A,)),))
    helpers.prefix_list(ec2, "offices", ((A, "paris"),))
    helpers.acl(ec2, v, (100, False, "6", "allow", A, 22, 22))
    _ip_set(aws)
    _policies(aws)
    read = [s for s in POLICY["Statement"] if s["Sid"].startswith("SgupdaterReadOnly")]
    reads = (":Describe", ":Get", ":List", ":Select")
    assert all(any(verb in a for verb in reads) for a in read[0]["Action"])
    operator(aws, {**POLICY, "Statement": read})
    every = ["--prefix-lists", "--nacls", "--waf", "--policies", "-p", "least", "-o", "json"]
    with enable_iam_authentication():
        show = cli("show", "--from-cidr", A, *every)
        dry = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--dry-run", *every)
        wet = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, *every)
    assert show.code == 0, show.err
    assert len(json.loads(show.out)["rules"]) == 6
    assert dry.code == 0, dry.err
    assert len(json.loads(dry.out)["changes"]) == 6
    # The same credentials cannot change anything.
    assert wet.code == 1
    assert json.loads(wet.out)["summary"]["changed"] == 0


def test_the_shipped_policy_is_enough_for_lists_acls_ip_sets_migrate_and_their_rollback(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    # Rules by what they allow: migrate and its rollback make new rules (a rule keeps its type).
    state = _everything(aws, helpers.rules)
    before = state()
    operator(aws, POLICY)
    moved, migrated = tmp_path / "moved.jsonl", tmp_path / "migrated.jsonl"
    with enable_iam_authentication():
        runs = [
            cli(
                "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists", "--nacls",
                "--waf", "--policies", "-p", "least", "--journal", str(moved),
            ),
            cli(
                "migrate", "--yes", "--cidr", B, "--prefix-list", "office", "--create",
                "-p", "least", "--journal", str(migrated),
            ),
            cli("rollback", "--yes", str(migrated)),
            cli("rollback", "--yes", str(moved)),
        ]  # fmt: skip
    for run in runs:
        assert run.code == 0, run.err
    assert state() == before


def test_verbose_logs_show_no_secret(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    secret, token = "wJalrXUtnFEMI-not-a-real-secret", "FwoGZXIvYXdzEXAMPLETOKEN"
    with aws.credentials.open("a") as f:
        f.write(
            f"\n[tokened]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = {secret}\n"
            f"aws_session_token = {token}\n"
        )
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "-p", "tokened", "-r", REGION, "-v"
    )
    assert run.code == 0, run.err
    assert "ModifySecurityGroupRules" in run.err
    for text in (run.out, run.err):
        assert secret not in text
        assert token not in text
        assert "Authorization" not in text
        assert "Signature=" not in text


def test_the_shipped_policy_is_enough_to_prune_a_policy_version(aws: Aws, cli: Cli) -> None:
    documents = _policies(aws)
    iam = aws.client("iam")
    arn = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    document = json.dumps(documents()[0])
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document)
    operator(aws, POLICY)
    args = (
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "--policies",
        "--prune-policy-versions",
        "-p",
        "least",
    )
    with enable_iam_authentication():
        run = cli("update", "--yes", *args)
    assert run.code == 0, run.err
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5
    assert B in json.dumps(documents())
