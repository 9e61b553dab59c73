"""Many accounts and regions in one run: profiles, roles, Organizations, config files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from sgupdater.cli import config
from testkit import helpers
from testkit.helpers import perm
from testkit.organizations import set_account_state
from tests.e2e.conftest import REGION, Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
C, D = "203.0.113.0/24", "198.18.0.0/24"
ACCOUNTS = ("111111111111", "222222222222", "333333333333")


def seed(aws: Aws, account: str, region: str = REGION, cidrs: tuple[str, ...] = (A,)) -> str:
    ec2 = aws.ec2_in(account, region)
    return helpers.group(ec2, helpers.vpc(ec2), f"web-{account}", ingress=(perm(cidrs=cidrs),))


def has(aws: Aws, account: str, group: str, cidr: str, region: str = REGION) -> bool:
    return ("ingress", "tcp", 22, 22, cidr, "") in helpers.rules(aws.ec2_in(account, region), group)


def run_json(cli: Cli, *args: str, code: int = 0) -> dict[str, Any]:
    run = cli(*args, "-o", "json")
    assert run.code == code, run.err
    return json.loads(run.out)  # type: ignore[no-any-return]


def test_role_arns_reach_several_accounts(aws: Aws, cli: Cli) -> None:
    groups = {a: seed(aws, a) for a in ACCOUNTS[:2]}
    roles = [arg for a in ACCOUNTS[:2] for arg in ("--role-arn", f"arn:aws:iam::{a}:role/Ops")]
    document = run_json(cli, "update", "--yes", "--from-cidr", A, "--to-cidr", B, *roles)
    assert {c["account"] for c in document["changes"]} == set(ACCOUNTS[:2])
    for account, group in groups.items():
        assert has(aws, account, group, B)
        assert not has(aws, account, group, A)


def test_accounts_and_role_name(aws: Aws, cli: Cli) -> None:
    groups = {a: seed(aws, a) for a in ACCOUNTS}
    listed = ",".join(ACCOUNTS[:2])
    run_json(
        cli,
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "--accounts",
        listed,
        "--role-name",
        "Ops",
    )
    assert has(aws, ACCOUNTS[0], groups[ACCOUNTS[0]], B)
    assert has(aws, ACCOUNTS[1], groups[ACCOUNTS[1]], B)
    assert has(aws, ACCOUNTS[2], groups[ACCOUNTS[2]], A)


def test_profiles_with_role_arn_and_source_profile(aws: Aws, cli: Cli) -> None:
    groups = {a: seed(aws, a, "eu-west-1") for a in ACCOUNTS[:2]}
    for account in ACCOUNTS[:2]:
        aws.add_profile(
            f"acct-{account}",
            f"role_arn = arn:aws:iam::{account}:role/Ops\nsource_profile = default\n"
            "region = eu-west-1",
        )
    document = run_json(
        cli,
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "-p",
        f"acct-{ACCOUNTS[0]}",
        "-p",
        f"acct-{ACCOUNTS[1]}",
    )
    assert {(c["account"], c["region"]) for c in document["changes"]} == {
        (ACCOUNTS[0], "eu-west-1"),
        (ACCOUNTS[1], "eu-west-1"),
    }
    for account, group in groups.items():
        assert has(aws, account, group, B, "eu-west-1")


def _organization(names: tuple[str, ...]) -> dict[str, str]:
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    made = {}
    for name in names:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        made[name] = status["CreateAccountStatus"]["AccountId"]
    return made


def test_org_role_visits_every_active_account_but_the_excluded(aws: Aws, cli: Cli) -> None:
    made = _organization(("dev", "prod", "sandbox"))
    groups = {name: seed(aws, account) for name, account in made.items()}
    ec2 = aws.ec2()
    own = helpers.group(ec2, helpers.vpc(ec2), "management", ingress=(perm(cidrs=(A,)),))
    document = run_json(
        cli,
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "--org-role",
        "Ops",
        "--exclude-account",
        made["sandbox"],
    )
    assert has(aws, made["dev"], groups["dev"], B)
    assert has(aws, made["prod"], groups["prod"], B)
    assert has(aws, made["sandbox"], groups["sandbox"], A)
    assert ("ingress", "tcp", 22, 22, B, "") in helpers.rules(ec2, own)
    aliases = {(c["account"], c["account_alias"]) for c in document["changes"]}
    assert (made["dev"], "dev") in aliases
    assert (made["prod"], "prod") in aliases


def test_region_all_visits_every_enabled_region(aws: Aws, cli: Cli) -> None:
    regions = ("eu-north-1", "ap-northeast-1", "sa-east-1")
    groups = {r: seed(aws, ACCOUNTS[0], r) for r in regions}
    document = run_json(
        cli,
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "--role-arn",
        f"arn:aws:iam::{ACCOUNTS[0]}:role/Ops",
        "-r",
        "all",
    )
    visited = {t["region"] for t in document["targets"]}
    assert set(regions) <= visited
    assert "ap-east-1" not in visited  # an opt-in region this account has not enabled
    for region, group in groups.items():
        assert has(aws, ACCOUNTS[0], group, B, region)


def test_output_order_is_deterministic_under_concurrency(aws: Aws, cli: Cli) -> None:
    for account in ACCOUNTS:
        for region in ("us-east-1", "eu-west-1"):
            seed(aws, account, region)
    roles = [
        arg for a in reversed(ACCOUNTS) for arg in ("--role-arn", f"arn:aws:iam::{a}:role/Ops")
    ]
    regions = ("-r", "us-east-1", "-r", "eu-west-1")
    args = ("show", "--from-cidr", A, *roles, *regions)
    outputs = {cli(*args, "--concurrency", n).out for n in ("1", "8", "8", "3")}
    assert len(outputs) == 1
    rows = [line.split("\t")[:2] for line in outputs.pop().splitlines()[1:]]
    assert rows == sorted(rows)
    assert len(rows) == 6


def test_config_file_with_two_mappings_and_targets(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    groups = {a: seed(aws, a, cidrs=(A, C)) for a in ACCOUNTS[:2]}
    path = tmp_path / "sgupdater.yaml"
    path.write_text(
        "targets:\n"
        f"  role_arns: [arn:aws:iam::{ACCOUNTS[0]}:role/Ops, arn:aws:iam::{ACCOUNTS[1]}:role/Ops]\n"
        "regions: [us-east-1]\n"
        "mappings:\n"
        f"  - {{from: {A}, to: {B}}}\n"
        f"  - {{from: {C}, to: {D}}}\n"
    )
    run_json(cli, "update", "--yes", "--config", str(path))
    for account, group in groups.items():
        assert has(aws, account, group, B)
        assert has(aws, account, group, D)
        assert not has(aws, account, group, A)
        assert not has(aws, account, group, C)


def test_flags_override_the_config_file(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws, ACCOUNTS[0], cidrs=(A, C))
    path = tmp_path / "sgupdater.yaml"
    path.write_text(
        f"targets:\n  role_arns: [arn:aws:iam::{ACCOUNTS[0]}:role/Ops]\n"
        f"mappings:\n  - {{from: {A}, to: {B}}}\n"
    )
    run_json(cli, "update", "--yes", "--config", str(path), "--from-cidr", C, "--to-cidr", D)
    assert has(aws, ACCOUNTS[0], group, A)
    assert has(aws, ACCOUNTS[0], group, D)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("regions: [us-east-1]\nmapings: []\n", "unknown key 'mapings'"),
        ("targets:\n  profiles: {a: 1}\n", "targets.profiles: expected a string or a list"),
        ("mappings:\n  - {from: 192.0.2.1/24, to: 198.51.100.0/24}\n", "mappings[0].from"),
        ("mappings:\n  - {to: 198.51.100.0/24}\n", "mappings[0]: 'from' is required"),
        ("mappings: 3\n", "mappings: expected a list"),
        ("direction: up\n", "direction: expected ingress, egress or both"),
        ("targets: [\n", "not valid YAML at line"),
        ("- just\n- a list\n", "expected a mapping"),
        ("filters:\n  vpc: [vpc-1]\n", "filters: unknown key 'vpc'"),
        ("match: fuzzy\n", "match: expected exact or within"),
        ("scope:\n  nacl: true\n", "scope: unknown key 'nacl'"),
        ("scope:\n  nacls: 'yes please'\n", "scope.nacls: expected true or false"),
        ("filters:\n  managed_tags: {a: [1]}\n", "filters.managed_tags.a: expected a string"),
    ],
)
def test_a_bad_config_file_is_named_with_its_key(
    aws: Aws, cli: Cli, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    run = cli("update", "--yes", "--config", str(path), "--from-cidr", A, "--to-cidr", B)
    assert run.code == 2
    assert len(run.err.strip().splitlines()) == 1
    assert message in run.err
    assert str(path) in run.err


def test_a_missing_or_oversized_config_file(cli: Cli, tmp_path: Path) -> None:
    missing = cli("show", "--config", str(tmp_path / "nope.yaml"), "--from-cidr", A)
    assert missing.code == 2
    assert "cannot read" in missing.err
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (1024 * 1024) + "\n")
    oversized = cli("show", "--config", str(big), "--from-cidr", A)
    assert oversized.code == 2
    assert "at most 1 MiB" in oversized.err


def test_tag_filters(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    prod = helpers.group(ec2, v, "prod", ingress=(perm(cidrs=(A,)),))
    dev = helpers.group(ec2, v, "dev", ingress=(perm(cidrs=(A,)),))
    frozen = helpers.group(ec2, v, "frozen", ingress=(perm(cidrs=(A,)),))
    ec2.create_tags(Resources=[prod, frozen], Tags=[{"Key": "Env", "Value": "prod"}])
    ec2.create_tags(Resources=[dev], Tags=[{"Key": "Env", "Value": "dev"}])
    ec2.create_tags(Resources=[frozen], Tags=[{"Key": "sgupdater", "Value": "skip"}])
    assert (
        cli(
            "update",
            "--yes",
            "--from-cidr",
            A,
            "--to-cidr",
            B,
            "--tag",
            "Env=prod",
            "--exclude-tag",
            "sgupdater",
        ).code
        == 0
    )
    assert ("ingress", "tcp", 22, 22, B, "") in helpers.rules(ec2, prod)
    assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(ec2, dev)
    assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(ec2, frozen)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role-arn", "arn:aws:iam::12:role/x"], "is not an IAM role ARN"),
        (["--accounts", "1234"], "is not a 12-digit AWS account id"),
        (["--accounts", "111111111111"], "--accounts and --role-name go together"),
        (["--org-role", "Ops", "-p", "default", "-p", "default2"], "names the one base profile"),
        (["-r", "all", "-r", "us-east-1"], "cannot be combined"),
        (
            ["--role-arn", "arn:aws:iam::111111111111:role/Ops", "--session-name", "x"],
            "--session-name",
        ),
        (["--tag", "=v"], "is not KEY=VALUE"),
    ],
)
def test_bad_target_options(aws: Aws, cli: Cli, args: list[str], message: str) -> None:
    aws.add_profile("default2", "region = us-east-1")
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, *args)
    assert run.code == 2, run.err
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_the_shipped_example_config_is_valid() -> None:
    path = Path(__file__).parent.parent.parent / "examples" / "sgupdater.yaml"
    settings = config.load(path)
    assert len(settings.mappings) == 2
    assert settings.regions == ("all",)
    assert settings.targets["org_role"] == "OrganizationAccountAccessRole"
    assert settings.switches == {"prefix_lists"}
    assert settings.managed_tags == (("ManagedBy", "terraform"),)


def test_a_config_file_can_turn_on_ranges_prefix_lists_and_acls(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    ec2 = aws.ec2()
    v = helpers.vpc(ec2)
    group = helpers.group(ec2, v, "web", ingress=(perm(cidrs=("192.0.2.10/32",)),))
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"),))
    acl = helpers.acl(ec2, v, (100, False, "6", "allow", A, 22, 22))
    path = tmp_path / "sgupdater.yaml"
    path.write_text(
        f"mappings:\n  - {{from: {A}, to: {B}}}\nmatch: within\n"
        "scope: {renumber: true, prefix_lists: true, nacls: true}\n"
    )
    document = run_json(cli, "update", "--yes", "--config", str(path))
    assert {c["kind"] for c in document["changes"]} == {"rule", "prefix-list", "nacl"}
    assert ("ingress", "tcp", 22, 22, "198.51.100.10/32", "") in helpers.rules(ec2, group)
    assert helpers.entries(ec2, pl) == {(B, "paris")}
    assert {e[4] for e in helpers.acl_entries(ec2, acl)} == {B}
    # A flag overrides the file: --match exact with the file's renumber is refused.
    refused = cli("update", "--yes", "--config", str(path), "--match", "exact")
    assert refused.code == 2


def test_org_accounts_that_are_not_active_are_counted_and_named_never_visited(
    aws: Aws, cli: Cli
) -> None:
    made = _organization(("dev", "gone", "closing", "legacy", "odd"))
    groups = {name: seed(aws, account) for name, account in made.items()}
    boto3.client("organizations", region_name=REGION).close_account(AccountId=made["gone"])
    set_account_state(made["closing"], "CLOSED", "SUSPENDED")
    # Before Account.State existed, only Status told; an account with neither is an error.
    set_account_state(made["legacy"], None, "ACTIVE")
    set_account_state(made["odd"], None, None)
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--org-role", "Ops", "-v", "-o", "json"
    )
    assert run.code == 1
    assert has(aws, made["dev"], groups["dev"], B)
    assert has(aws, made["legacy"], groups["legacy"], B)
    for name in ("gone", "closing", "odd"):
        assert has(aws, made[name], groups[name], A)
    assert f"account {made['gone']} (gone) is SUSPENDED: skipped" in run.err
    assert f"account {made['closing']} (closing) is CLOSED: skipped" in run.err
    assert f"account {made['odd']} has neither State nor Status" in run.err
    summary = json.loads(run.out)["summary"]
    assert (summary["accounts_skipped"], summary["failed"]) == (2, 1)
    assert "2 accounts not ACTIVE skipped" in run.err
