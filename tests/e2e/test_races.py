"""Someone else changes the groups between the plan and the apply: reported, the rest proceeds."""

from __future__ import annotations

import json

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli
from tests.e2e.test_interactive import on_terminal

A, B = "192.0.2.0/24", "198.51.100.0/24"


def test_changes_made_while_the_plan_is_on_screen(aws: Aws) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    deleted = helpers.group(ec2, v, "deleted", ingress=(perm(cidrs=(A,)),))
    edited = helpers.group(ec2, v, "edited", ingress=(perm(cidrs=(A,)),))
    revoked = helpers.group(ec2, v, "revoked", ingress=(perm(cidrs=(A,)),))
    healthy = helpers.group(ec2, v, "healthy", ingress=(perm(cidrs=(A,), description="ok"),))

    def meanwhile() -> None:
        ec2.delete_security_group(GroupId=deleted)
        rule = helpers.rule_ids(ec2, edited)[("ingress", "tcp", 22, 22, A, "")]
        helpers.edit_by_hand(ec2, edited, rule, 22, B, "done by hand")
        ec2.revoke_security_group_ingress(GroupId=revoked, IpPermissions=[perm(cidrs=(A,))])

    code, screen = on_terminal(
        ["update", "--from-cidr", A, "--to-cidr", B, "-o", "tsv"],
        answer="y",
        before_answer=meanwhile,
    )
    # Re-read after the question: the three changed groups are skipped with the reason, the
    # healthy one is updated, and nothing anyone did meanwhile is overwritten.
    assert code == 0, screen
    assert "Traceback" not in screen
    assert screen.count("the rule is gone since") == 2
    assert f"{B} is already allowed alike" in screen
    assert ("ingress", "tcp", 22, 22, B, "ok") in helpers.rules(ec2, healthy)
    assert ("ingress", "tcp", 22, 22, B, "done by hand") in helpers.rules(ec2, edited)
    assert not [r for r in helpers.rules(ec2, revoked) if r[4] in (A, B)]


def test_authorize_revoke_at_the_rules_quota_suggests_the_default_strategy(
    aws: Aws, cli: Cli
) -> None:
    ec2 = aws.ec2()
    full = [perm("tcp", 1000 + i, cidrs=("10.0.0.0/8",)) for i in range(59)]
    group = helpers.group(ec2, helpers.vpc(ec2), "full", ingress=(perm(cidrs=(A,)), *full))
    run = cli(
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "--strategy",
        "authorize-revoke",
        "-o",
        "json",
    )
    assert run.code == 1
    rows = json.loads(run.out)["changes"]
    authorize = next(r for r in rows if r["action"] == "authorize")
    assert authorize["status"] == "failed"
    assert "RulesPerSecurityGroupLimitExceeded" in authorize["detail"]
    assert "--strategy modify" in authorize["detail"]
    revoke = next(r for r in rows if r["action"] == "revoke")
    assert revoke["status"] == "skipped"
    assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(ec2, group)
    # The default strategy needs no room: it succeeds on the same group.
    assert cli("update", "--yes", "--from-cidr", A, "--to-cidr", B).code == 0
    assert ("ingress", "tcp", 22, 22, B, "") in helpers.rules(ec2, group)
