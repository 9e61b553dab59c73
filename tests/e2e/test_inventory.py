"""--inventory config:AGGREGATOR: an Organization's holders found through AWS Config."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit import helpers, organizations
from testkit.helpers import perm
from tests.e2e.conftest import REGION, Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
OTHER = "eu-west-1"
ORG = ["--org-role", "Ops", "-r", "all", "--inventory", "config:org"]


def _organization() -> list[str]:
    return organizations.create("dev", "prod")


def _record(aws: Aws, name: str = "org") -> None:
    """Put the aggregator: the local endpoint records the fleet as of now."""
    aws.client("config").put_configuration_aggregator(
        ConfigurationAggregatorName=name,
        OrganizationAggregationSource={
            "RoleArn": "arn:aws:iam::123456789012:role/ConfigAggregator",
            "AllAwsRegions": True,
        },
    )


def _peers(ec2: Any, group_id: str) -> set[str]:
    """The CIDRs a group lets in."""
    return {rule[4] for rule in helpers.rules(ec2, group_id) if rule[0] == "ingress"}


def _web(aws: Aws, account: str, region: str, cidr: str, name: str = "web") -> tuple[Any, str]:
    ec2 = aws.ec2_in(account, region)
    return ec2, helpers.group(ec2, helpers.vpc(ec2), name, ingress=(perm(cidrs=(cidr,)),))


def test_update_visits_only_what_the_inventory_names_and_says_what_it_left_out(
    aws: Aws, cli: Cli
) -> None:
    dev, prod = _organization()
    ec2, held = _web(aws, dev, OTHER, A)
    # Elsewhere only wider ranges (every default group's 0.0.0.0/0) and other ranges.
    other, unrelated = _web(aws, prod, REGION, "10.0.0.0/8")
    _record(aws)
    done = cli("update", "--from-cidr", A, "--to-cidr", B, *ORG, "--yes", "-o", "json")
    assert done.code == 0, done.err
    assert _peers(ec2, held) == {B}
    document = json.loads(done.out)
    assert [(c["account"], c["region"]) for c in document["changes"]] == [(dev, OTHER)]
    # One account-region read; every other account left out whole, no region of it listed.
    assert document["summary"]["targets"] == 1
    left = {(r["account"], r["region"]) for r in document["left_out"]}
    assert left == {(prod, "all"), ("123456789012", "all")}
    assert document["summary"]["left_out"] == 2
    assert "inventory config:org (recorded " in done.err
    assert "1 account-region(s) to visit, read live; 2 left out" in done.err
    assert "2 left out by the inventory" in done.err
    assert _peers(other, unrelated) == {"10.0.0.0/8"}


def test_a_stale_inventory_misses_nothing_in_the_targets_it_visits(aws: Aws, cli: Cli) -> None:
    dev, prod = _organization()
    ec2, first = _web(aws, dev, REGION, A)
    _record(aws)
    # Added after Config recorded: one beside the recorded holder, one where nothing was.
    vpc = ec2.describe_security_groups(GroupIds=[first])["SecurityGroups"][0]["VpcId"]
    later = helpers.group(ec2, vpc, "later", ingress=(perm(cidrs=(A,)),))
    unseen_ec2, unseen = _web(aws, prod, REGION, A, "unseen")
    done = cli("update", "--from-cidr", A, "--to-cidr", B, *ORG, "--yes", "-o", "json")
    assert done.code == 0, done.err
    # The visited target is read live: the group Config had not recorded yet is changed too.
    assert _peers(ec2, first) == _peers(ec2, later) == {B}
    # Where the inventory recorded nothing, nothing is read: the operator is told it was left out.
    assert _peers(unseen_ec2, unseen) == {A}
    left = {(r["account"], r["region"]) for r in json.loads(done.out)["left_out"]}
    assert (prod, "all") in left


def test_show_reports_the_inventory_as_recorded_page_by_page(aws: Aws, cli: Cli) -> None:
    dev, _ = _organization()
    ec2 = aws.ec2_in(dev, REGION)
    vpc = helpers.vpc(ec2)
    groups = [helpers.group(ec2, vpc, f"g{n}", ingress=(perm(cidrs=(A,)),)) for n in range(7)]
    _record(aws)
    # Changed live after Config recorded it: show reports the recording and says so.
    ec2.revoke_security_group_ingress(GroupId=groups[0], IpPermissions=[perm(cidrs=(A,))])
    shown = cli("show", "--from-cidr", A, *ORG, "--page-size", "5", "-o", "json")
    assert shown.code == 0, shown.err
    rules = json.loads(shown.out)["rules"]
    # Seven records over two pages of five: every one of them.
    assert sorted(r["group_id"] for r in rules) == sorted(groups)
    assert "reported as recorded, nothing read live" in shown.err


def test_a_profile_in_every_region_is_read_where_the_inventory_says(aws: Aws, cli: Cli) -> None:
    ec2, held = _web(aws, "123456789012", OTHER, A)
    _record(aws)
    run = cli("update", "--from-cidr", A, "--to-cidr", B, "-r", "all", "--inventory",
              "config:org", "--yes", "-o", "json")  # fmt: skip
    assert run.code == 0, run.err
    assert _peers(ec2, held) == {B}
    # The profile's account, learned from STS, is read in the one region that holds the range.
    assert json.loads(run.out)["summary"]["targets"] == 1


def test_bad_inventories_are_refused_before_any_call(aws: Aws, cli: Cli) -> None:
    for given, says in (
        ("org", "expected config:AGGREGATOR[@REGION]"),
        ("config:", "an aggregator's name"),
        ("config:org@nowhere", "is not a region name"),
    ):
        run = cli("show", "--from-cidr", A, "--inventory", given)
        assert run.code == 2, run.err
        assert says in run.err
    live_only = cli("show", "--from-cidr", A, "--inventory", "config:org", "--waf")
    assert live_only.code == 2
    assert "--waf is read live only" in live_only.err
    # Before the Organization is listed: there is none here, so listing it would fail (exit 1).
    org = cli("show", "--from-cidr", A, "--inventory", "config:org", "--waf", "--org-role", "Ops")
    assert org.code == 2, org.err
    assert "--waf is read live only" in org.err


def test_an_aggregator_that_cannot_be_read_stops_the_run_before_any_target(
    aws: Aws, cli: Cli
) -> None:
    ec2, held = _web(aws, "123456789012", REGION, A)
    run = cli("update", "--from-cidr", A, "--to-cidr", B, "--inventory", "config:none", "--yes")
    assert run.code == 1
    assert "inventory config:none: NoSuchConfigurationAggregatorException" in run.err
    assert _peers(ec2, held) == {A}


@pytest.mark.parametrize(
    ("ask", "code"),
    [
        ({"Limit": 101}, "InvalidLimitException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        ({"Expression": "SELECT * WHERE resourceType = 'AWS::EC2::Instance'"},
         "InvalidExpressionException"),
        ({"ConfigurationAggregatorName": "absent"}, "NoSuchConfigurationAggregatorException"),
    ],
)  # fmt: skip
def test_the_local_endpoint_refuses_what_config_refuses(
    aws: Aws, ask: dict[str, Any], code: str
) -> None:
    _record(aws)
    query = {
        "ConfigurationAggregatorName": "org",
        "Expression": "SELECT resourceId WHERE resourceType = 'AWS::EC2::SecurityGroup' AND "
        "configuration.ipPermissions.ipv4Ranges.cidrIp BETWEEN '192.0.2.0' AND '192.0.2.255'",
        **ask,
    }
    config = aws.client("config")
    # Limit's "max": 100 is the service model's; the SDK does not check it, the service does.
    config.meta.events.unregister("before-parameter-build.config", None)
    with pytest.raises(ClientError) as refused:
        config.select_aggregate_resource_config(**query)
    assert refused.value.response["Error"]["Code"] == code
