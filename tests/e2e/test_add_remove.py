"""`sgupdater add` and `remove`: the two halves of a transition."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def test_add_allows_the_new_cidr_beside_the_old_one(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    g = helpers.group(
        ec2,
        helpers.vpc(ec2),
        "web",
        ingress=(perm(cidrs=(A,), description="office"), perm("tcp", 80, cidrs=(A, B))),
    )
    run = cli("add", "--yes", "--from-cidr", A, "--to-cidr", B)
    assert run.code == 0, run.err
    assert helpers.rules(ec2, g) >= {
        ("ingress", "tcp", 22, 22, A, "office"),
        ("ingress", "tcp", 22, 22, B, "office"),
        ("ingress", "tcp", 80, 80, A, ""),
        ("ingress", "tcp", 80, 80, B, ""),
    }
    assert "1 change applied, 1 unchanged" in run.err


def test_remove_revokes_every_rule_allowing_the_cidr(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    g = helpers.group(
        ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A, B)),), egress=(perm(cidrs=(A,)),)
    )
    assert cli("remove", "--yes", "--cidr", A).code == 0
    assert not [r for r in helpers.rules(ec2, g) if r[4] == A]
    assert ("ingress", "tcp", 22, 22, B, "") in helpers.rules(ec2, g)


def test_remove_only_where_keeps_rules_whose_replacement_is_missing(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    g = helpers.group(
        ec2,
        helpers.vpc(ec2),
        "web",
        ingress=(perm("tcp", 22, cidrs=(A, B)), perm("tcp", 80, cidrs=(A,))),
    )
    run = cli("remove", "--yes", "--cidr", A, "--only-where", B)
    assert run.code == 0
    rules = helpers.rules(ec2, g)
    assert ("ingress", "tcp", 22, 22, A, "") not in rules
    assert ("ingress", "tcp", 80, 80, A, "") in rules
    assert "1 change applied, 1 unchanged" in run.err


PERMS = st.lists(
    st.tuples(
        st.sampled_from([("tcp", 22), ("tcp", 443), ("udp", 53), ("-1", None)]),
        st.sets(st.sampled_from([A, B, "10.0.0.0/8"]), min_size=1),
        st.sampled_from([None, "desc"]),
    ),
    max_size=4,
    unique_by=lambda p: p[0],
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(PERMS)
def test_add_then_remove_only_where_equals_update(
    aws: Aws, cli: Cli, perms: list[tuple[tuple[str, int | None], set[str], str | None]]
) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    permissions = tuple(
        perm(proto, port, cidrs=tuple(sorted(cidrs)), description=d)
        for (proto, port), cidrs, d in perms
    )
    two_step = helpers.group(ec2, v, f"two-{len(perms)}-{id(perms)}", ingress=permissions)
    one_step = helpers.group(ec2, v, f"one-{len(perms)}-{id(perms)}", ingress=permissions)
    assert cli("add", "--yes", "--from-cidr", A, "--to-cidr", B, "--group-id", two_step).code == 0
    assert cli("remove", "--yes", "--cidr", A, "--only-where", B, "--group-id", two_step).code == 0
    assert (
        cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--group-id", one_step).code == 0
    )
    assert helpers.rules(ec2, two_step) == helpers.rules(ec2, one_step)
    assert not [r for r in helpers.rules(ec2, one_step) if r[4] == A]
