"""The local EC2 refuses what EC2 refuses: one test per shim in testkit/ec2_*.py.

Each test makes the call through boto3 over HTTP, as sgupdater would, and expects EC2's error
code; where the code is UNVERIFIED the shim says so and the test checks only the refusal.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from testkit import helpers
from testkit.ec2_lists import make_ipam_managed
from testkit.helpers import perm
from tests.e2e.conftest import REGION, Aws

A, B = "192.0.2.0/24", "198.51.100.0/24"


def refused(call: Any, **kwargs: Any) -> str:
    """The error code EC2 (here, the local EC2) answers with."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**kwargs)
    return str(caught.value.response["Error"]["Code"])


def modify(ec2: Any, group: str, rule_id: str, **target: Any) -> None:
    request = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, **target}
    ec2.modify_security_group_rules(
        GroupId=group,
        SecurityGroupRules=[{"SecurityGroupRuleId": rule_id, "SecurityGroupRule": request}],
    )


def test_a_rule_keeps_its_type_when_modified(aws: Aws) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    rule_id = helpers.rule_ids(ec2, group)[("ingress", "tcp", 22, 22, A, "")]
    pl = helpers.prefix_list(ec2, "offices", ((A, "office"),))
    assert refused(lambda: modify(ec2, group, rule_id, PrefixListId=pl)) == "InvalidParameterValue"
    assert refused(lambda: modify(ec2, group, rule_id, CidrIpv6="2001:db8::/32"))
    both = {"CidrIpv4": B, "PrefixListId": pl}
    assert refused(lambda: modify(ec2, group, rule_id, **both)) == "InvalidParameterValue"
    modify(ec2, group, rule_id, CidrIpv4=B)
    assert ("ingress", "tcp", 22, 22, B, "") in helpers.rules(ec2, group)


def test_a_modify_into_a_duplicate_is_refused(aws: Aws) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A, B)),))
    rule_id = helpers.rule_ids(ec2, group)[("ingress", "tcp", 22, 22, A, "")]
    code = refused(lambda: modify(ec2, group, rule_id, CidrIpv4=B))
    assert code == "InvalidPermission.Duplicate"


def test_a_prefix_list_edit_takes_at_most_100_entries_each_way(aws: Aws) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "hosts", (), max_entries=300)
    hosts: list[Any] = [{"Cidr": f"192.0.2.{n}/32"} for n in range(101)]
    code = refused(
        ec2.modify_managed_prefix_list, PrefixListId=pl, CurrentVersion=1, AddEntries=hosts
    )
    assert code == "InvalidParameterValue"
    ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=1, AddEntries=hosts[:100])
    code = refused(
        ec2.modify_managed_prefix_list, PrefixListId=pl, CurrentVersion=1, AddEntries=hosts[100:]
    )
    assert code == "PrefixListVersionMismatch"


def test_an_ipam_managed_list_refuses_direct_edits(aws: Aws) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "synced", ((A, "office"),))
    make_ipam_managed("123456789012", REGION, pl, "ipam-prefix-list-resolver-target-1")
    described = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]
    assert described.get("IpamPrefixListResolverTargetId") == "ipam-prefix-list-resolver-target-1"
    assert refused(
        ec2.modify_managed_prefix_list,
        PrefixListId=pl,
        CurrentVersion=1,
        AddEntries=[{"Cidr": B}],
    )


def test_the_rules_quota_counts_each_family_and_list_sizes(aws: Aws) -> None:
    ec2 = aws.ec2()
    v4 = tuple(f"10.0.{n}.0/24" for n in range(60))
    group = helpers.group(ec2, helpers.vpc(ec2), "full", ingress=(perm(cidrs=v4),))
    # 60 IPv4 rules: an IPv6 rule still fits, one more IPv4 rule does not.
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[perm(cidrs6=("::/0",))])
    code = refused(
        ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[perm(cidrs=(A,))]
    )
    assert code == "RulesPerSecurityGroupLimitExceeded"
    # A reference to a list of MaxEntries 5 counts as 5 rules.
    other = helpers.group(
        ec2, helpers.vpc(ec2, "10.1.0.0/16"), "some", ingress=(perm(cidrs=v4[:56]),)
    )
    pl = helpers.prefix_list(ec2, "offices", ((A, "office"),), max_entries=5)
    code = refused(
        ec2.authorize_security_group_ingress,
        GroupId=other,
        IpPermissions=[{**perm(), "PrefixListIds": [{"PrefixListId": pl}]}],
    )
    assert code == "RulesPerSecurityGroupLimitExceeded"


def test_one_authorize_adds_every_permission_or_none(aws: Aws) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm("tcp", 443, cidrs=(B,)),))
    answer = ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[perm("tcp", 22, cidrs=(A,)), perm("tcp", 80, cidrs=(A,))]
    )
    assert sorted(r["FromPort"] for r in answer["SecurityGroupRules"]) == [22, 80]
    before = helpers.rules(ec2, group)
    code = refused(
        ec2.authorize_security_group_ingress,
        GroupId=group,
        IpPermissions=[perm("tcp", 25, cidrs=(A,)), perm("tcp", 443, cidrs=(B,))],
    )
    assert code == "InvalidPermission.Duplicate"
    assert helpers.rules(ec2, group) == before


@pytest.mark.parametrize(
    ("call", "key", "extra"),
    [
        ("describe_security_groups", "SecurityGroups", {}),
        ("describe_security_group_rules", "SecurityGroupRules", {}),
        ("describe_managed_prefix_lists", "PrefixLists", {}),
        ("describe_network_acls", "NetworkAcls", {}),
    ],
)
def test_describes_answer_page_by_page(
    aws: Aws, call: str, key: str, extra: dict[str, Any]
) -> None:
    ec2 = aws.ec2()
    vpc = helpers.vpc(ec2)
    for n in range(6):
        helpers.group(ec2, vpc, f"g{n}", ingress=(perm(cidrs=(A,)),))
        helpers.prefix_list(ec2, f"pl{n}", ((A, "office"),))
        ec2.create_network_acl(VpcId=vpc)
    first = getattr(ec2, call)(MaxResults=5)
    assert len(first[key]) == 5
    assert first.get("NextToken")
    rest = getattr(ec2, call)(MaxResults=5, NextToken=first["NextToken"])
    assert rest[key]


def test_list_entries_answer_page_by_page(aws: Aws) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "hosts", tuple((f"192.0.2.{n}/32", "h") for n in range(7)), 10)
    first = ec2.get_managed_prefix_list_entries(PrefixListId=pl, MaxResults=5)
    assert (len(first["Entries"]), bool(first.get("NextToken"))) == (5, True)
