"""The scale simulator answers in AWS's shapes: sgupdater finds exactly the fleet it generates."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.ec2.models import security_groups, vpcs
from moto.organizations import utils as organizations_utils

from bench import sim
from tests.e2e.conftest import REGION, Aws, Cli, Run

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def simulator(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An Organization of 3 member accounts, no delay, as the only endpoint."""
    yield from _simulated(aws, monkeypatch, 3)


def _simulated(aws: Aws, monkeypatch: pytest.MonkeyPatch, accounts: int) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.sim", str(accounts), "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    url = f"http://127.0.0.1:{int(process.stdout.readline())}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    aws.credentials.write_text(
        f"[default]\naws_access_key_id = {sim.MANAGEMENT_KEY}\naws_secret_access_key = sim\n"
    )
    yield url
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_show_over_the_simulated_organization_finds_the_generated_matches(
    simulator: str, cli: Cli
) -> None:
    run = cli("show", "--from-cidr", sim.OLD, "--org-role", "bench", "-r", "all", "-o", "json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    expected = {
        (account, region, rule["GroupId"], rule["SecurityGroupRuleId"])
        for account in sim.account_ids(3)
        for region in sim.REGIONS
        for rule in sim.rules(account, region)
        if rule["CidrIpv4"] == sim.OLD
    }
    found = {(r["account"], r["region"], r["group_id"], r["rule_id"]) for r in document["rules"]}
    assert expected
    assert found == expected
    assert document["summary"]["targets"] == 3 * len(sim.REGIONS)
    assert document["summary"]["groups_scanned"] == 2 * 3 * len(sim.REGIONS)
    assert {r["description"] for r in document["rules"]} == {"office https"}


def test_an_update_over_the_simulator_sends_one_edit_per_matched_group(
    simulator: str, cli: Cli
) -> None:
    args = ("--from-cidr", sim.OLD, "--to-cidr", "198.51.100.0/24", "--org-role", "bench")
    run = cli("update", *args, "-r", "all", "--yes", "-o", "json")
    assert run.code == 0, run.err
    changes = json.loads(run.out)["changes"]
    assert changes
    assert {(c["action"], c["status"]) for c in changes} == {("modify", "applied")}


# The cross-check fleet: 2 member accounts; the first allows the old range in both regions.
CROSS_REGIONS = ("us-west-1", "ap-northeast-2")
CROSS_ASK = ("--from-cidr", sim.OLD, "--org-role", "bench", "-r", CROSS_REGIONS[0], "-r",
             CROSS_REGIONS[1], "-o", "tsv", "-q")  # fmt: skip


class _Ids:
    """moto's id makers, answering the ids the simulator generates while a queue holds any."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.queue: list[str] = []
        for module, name in (
            (security_groups, "random_security_group_id"),
            (security_groups, "random_security_group_rule_id"),
            (vpcs, "random_vpc_id"),
            (organizations_utils, "make_random_account_id"),
        ):
            monkeypatch.setattr(module, name, self._queued(getattr(module, name)))

    def _queued(self, made: Callable[[], str]) -> Callable[[], str]:
        return lambda: self.queue.pop(0) if self.queue else made()

    def next(self, *ids: str) -> None:
        """The ids the next calls make, in order."""
        self.queue.extend(ids)


def _seed_moto_like_the_simulator(aws: Aws, ids: _Ids) -> None:
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    for account in sim.account_ids(2):
        ids.next(account)
        org.create_account(AccountName=f"account-{account[-4:]}", Email=f"{account}@example.com")
        for region in CROSS_REGIONS:
            ec2 = aws.ec2_in(account, region)
            # The region's default VPC and group are made first, with ids of their own.
            ec2.describe_vpcs()
            groups = sim.groups(account, region)
            ids.next(groups[0]["VpcId"])
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            for group in groups:
                ids.next(group["GroupId"])
                ec2.create_security_group(
                    GroupName=group["GroupName"], Description=group["Description"], VpcId=vpc
                )
            for rule in sim.rules(account, region):
                ids.next(rule["SecurityGroupRuleId"])
                ip_range: Any = {"CidrIp": rule["CidrIpv4"], "Description": rule["Description"]}
                ec2.authorize_security_group_ingress(
                    GroupId=rule["GroupId"],
                    IpPermissions=[
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 443,
                            "ToPort": 443,
                            "IpRanges": [ip_range],
                        }
                    ],
                )


def test_stdout_is_byte_identical_against_moto_and_against_the_simulator(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _Ids(monkeypatch)
    _seed_moto_like_the_simulator(aws, ids)
    assert not ids.queue
    _alike(aws, cli, monkeypatch, CROSS_ASK)


def _alike(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch, ask: tuple[str, ...]
) -> list[tuple[Run, Run]]:
    """show and update --dry-run against moto, then the simulator: the same stdout."""
    dry = ("update", *ask, "--to-cidr", "198.51.100.0/24", "--dry-run")
    against_moto = [cli("show", *ask), cli(*dry)]
    simulated = _simulated(aws, monkeypatch, 2)
    next(simulated)
    against_sim = [cli("show", *ask), cli(*dry)]
    next(simulated, None)
    pairs = list(zip(against_moto, against_sim, strict=True))
    for moto_run, sim_run in pairs:
        assert moto_run.code == sim_run.code == 0, (moto_run.err, sim_run.err)
        # Two rows besides the header: the first account's group in each region.
        assert len(moto_run.out.splitlines()) == 3
        assert sim_run.out == moto_run.out
    return pairs


def test_the_inventory_answers_alike_from_moto_and_from_the_simulator(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _Ids(monkeypatch)
    _seed_moto_like_the_simulator(aws, ids)
    # Config records the fleet when the aggregator is put, in the run's first region.
    aws.client("config", CROSS_REGIONS[0]).put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        OrganizationAggregationSource={"RoleArn": "arn:aws:iam::1:role/c", "AllAwsRegions": True},
    )
    for moto_run, sim_run in _alike(
        aws, cli, monkeypatch, (*CROSS_ASK, "--inventory", "config:org")
    ):
        # The second account holds nothing: both its targets are left out, never read.
        assert "2 account-region(s) to visit" in sim_run.err
        assert "2 account-region(s) to visit" in moto_run.err
