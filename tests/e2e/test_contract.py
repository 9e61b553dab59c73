"""The safety contract end to end: a plan's rule id binds, partitions, a kind failing alone."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from moto.core.authorization import enable_iam_authentication

from sgupdater._types import ContainerId, KindName
from sgupdater.models import Entry
from testkit import helpers, records
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli
from tests.e2e.test_iam import operator, without

A, B = "192.0.2.0/24", "198.51.100.0/24"
NET = ipaddress.ip_network(A)
WAF_SET = "REGIONAL/office/0f3a9c2e-1b2d-4c5e-8f90-1a2b3c4d5e6f"


def _entry(kind: str, container: str, description: str | None, rule_id: str = "") -> Entry:
    return Entry(KindName(kind), records.ACCOUNT, records.REGION, ContainerId(container), "x", NET,
                entry_id=rule_id, description=description)  # fmt: skip


def test_apply_changes_the_reviewed_rule_id_never_a_look_alike(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    ec2 = aws.ec2()
    vpc = helpers.vpc(ec2)
    web = helpers.group(ec2, vpc, "web", ingress=(perm(cidrs=(A,)),))
    db = helpers.group(ec2, vpc, "db", ingress=(perm(cidrs=(A,)),))
    path = tmp_path / "plan.json"
    made = cli("update", "--from-cidr", A, "--to-cidr", B, "--group-id", web, "--dry-run",
               "--plan-out", str(path))  # fmt: skip
    assert made.code == 0, made.err
    # Someone edits the plan to name the other group, keeping the reviewed rule's id.
    path.write_text(path.read_text().replace(web, db))
    before = helpers.rules(ec2, db)
    run = cli("apply", str(path), "--yes", "-o", "json")
    (row,) = json.loads(run.out)["changes"]
    assert row["status"] == "skipped"
    assert (
        row["detail"]
        == f"the rule is gone since; a rule alike in {db} is not the one the plan names"
    )
    assert helpers.rules(ec2, db) == before


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"),
                                                   ("us-gov-west-1", "aws-us-gov")])  # fmt: skip
def test_cloudfront_sets_are_read_only_in_the_aws_partition(
    aws: Aws, cli: Cli, region: str, partition: str
) -> None:
    aws.client("wafv2").create_ip_set(Name="cdn", Scope="CLOUDFRONT", IPAddressVersion="IPV4",
                                      Addresses=[A])  # fmt: skip
    aws.client("wafv2", region).create_ip_set(Name="edge", Scope="REGIONAL",
                                              IPAddressVersion="IPV4", Addresses=[A])  # fmt: skip
    run = cli("show", "--from-cidr", A, "--waf", "-r", region, "-o", "json", "-v")
    assert run.code == 0, run.err
    assert [r["kind"] for r in json.loads(run.out)["rules"]] == ["ip-set"]
    assert f"cloudfront-ip-set not read: it does not exist in the {partition} partition" in run.err
    # In the aws partition the same account's CLOUDFRONT set is read (through us-east-1).
    home = cli("show", "--from-cidr", A, "--waf", "-r", "eu-west-1", "-o", "json")
    assert [r["kind"] for r in json.loads(home.out)["rules"]] == ["cloudfront-ip-set"]


def test_a_kind_that_cannot_be_read_fails_alone(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    operator(aws, without("wafv2:ListIPSets"))
    with enable_iam_authentication():
        run = cli("show", "--from-cidr", A, "--waf", "-p", "least", "-o", "json")
    assert run.code == 1
    document = json.loads(run.out)
    assert [r["group_id"] for r in document["rules"]] == [group]
    # Both WAF kinds list IP sets: each fails alone, named with the AWS error code.
    # (moto answers a JSON service's authorization failure in XML: botocore names its code by
    # the HTTP status, 403, where AWS says AccessDeniedException.)
    failed = {(f["kind"], f["container"], f["error_code"]) for f in document["failures"]}
    assert failed == {("ip-set", "", "403"), ("cloudfront-ip-set", "", "403")}
    assert "ip-set not read" in run.err
