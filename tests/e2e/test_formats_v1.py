"""Plan files and journals written by the version before the kind interface still work.

tests/data holds a plan file and a journal written by that version (update of one group's two
rules, a prefix-list entry and a network ACL entry); the resource ids are placeholders filled
in with those of the resources each test creates alike.
"""

from __future__ import annotations

from pathlib import Path

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
DATA = Path(__file__).parent / "data"


def seed(aws: Aws) -> dict[str, str]:
    """The resources the committed files were written against; the placeholders' values."""
    ec2 = aws.ec2()
    vpc = helpers.vpc(ec2)
    group = helpers.group(
        ec2,
        vpc,
        "web",
        ingress=(perm("tcp", 22, cidrs=(A,), description="office"),),
        egress=(perm("udp", 514, cidrs=(A,)),),
    )
    ids = {helpers.view(r)[:3]: r["SecurityGroupRuleId"] for r in helpers.raw_rules(ec2, group)}
    owner = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["OwnerId"]
    return {
        "@@GROUP@@": group,
        "@@RULE_SSH@@": ids[("ingress", "tcp", 22)],
        "@@RULE_SYSLOG@@": ids[("egress", "udp", 514)],
        "@@LIST@@": helpers.prefix_list(ec2, "offices", ((A, "office"),)),
        "@@ACL@@": helpers.acl(ec2, vpc, (100, False, "6", "allow", A, 22, 22)),
        "@@VPC@@": vpc,
        "@@ACCOUNT@@": owner,
    }


def filled(name: str, values: dict[str, str], into: Path) -> Path:
    text = (DATA / name).read_text()
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    path = into / name
    path.write_text(text)
    return path


def state(aws: Aws, ids: dict[str, str]) -> tuple[object, ...]:
    ec2 = aws.ec2()
    return (
        helpers.rule_ids(ec2, ids["@@GROUP@@"]),
        helpers.entries(ec2, ids["@@LIST@@"]),
        helpers.acl_entries(ec2, ids["@@ACL@@"]),
    )


def test_a_version_1_plan_file_applies(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    ids = seed(aws)
    run = cli("apply", str(filled("v1-plan.json", ids, tmp_path)), "--yes", "-o", "json")
    assert run.code == 0, run.err
    ec2 = aws.ec2()
    after = helpers.rule_ids(ec2, ids["@@GROUP@@"])
    # Replaced in place: the same rule ids now allow the new range.
    assert after[("ingress", "tcp", 22, 22, B, "office")] == ids["@@RULE_SSH@@"]
    assert after[("egress", "udp", 514, 514, B, "")] == ids["@@RULE_SYSLOG@@"]
    assert not [view for view in after if view[4] == A]
    assert helpers.entries(ec2, ids["@@LIST@@"]) == {(B, "office")}
    assert helpers.acl_entries(ec2, ids["@@ACL@@"]) == {(100, False, "6", "allow", B, (22, 22))}


def test_a_version_1_journal_rolls_back(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    ids = seed(aws)
    before = state(aws, ids)
    # The change the journal records, made as that version made it.
    moved = cli("update", "--from-cidr", A, "--to-cidr", B, "--prefix-lists", "--nacls", "--yes")
    assert moved.code == 0, moved.err
    assert state(aws, ids) != before
    run = cli("rollback", str(filled("v1-journal.jsonl", ids, tmp_path)), "--yes")
    assert run.code == 0, run.err
    assert "4 changes applied" in run.err
    assert state(aws, ids) == before
