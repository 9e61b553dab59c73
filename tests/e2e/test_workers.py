"""Scanning in worker processes: same results as one process, failures kept to their targets."""

from __future__ import annotations

import json
import queue
from dataclasses import dataclass

from sgupdater._types import AccountId, Region
from sgupdater.engine import runner, workers
from sgupdater.models import Credentials, Target, TargetResult
from testkit import helpers, organizations
from testkit.helpers import perm
from tests.e2e.conftest import REGION, Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGIONS = (REGION, "eu-west-1")


def _target(account: str, region: str) -> Target:
    role = Credentials(role_arn=f"arn:aws:iam::{account}:role/Ops")
    return Target(Region(region), role, AccountId(account))


def test_every_account_stays_in_one_shard_and_shards_stay_even() -> None:
    fleet = [_target(f"{n:012d}", r) for n in range(7) for r in ("us-east-1", "eu-west-1")]
    parts = workers.shards(fleet, 3)
    assert sorted(t.label for part in parts for t in part) == sorted(t.label for t in fleet)
    for account in {t.account for t in fleet}:
        assert sum(any(t.account == account for t in part) for part in parts) == 1
    assert max(map(len, parts)) - min(map(len, parts)) <= 2


def test_processes_are_used_only_where_they_pay() -> None:
    assert workers.processes_for(10, None) == 1
    assert workers.processes_for(10, 4) == 4
    assert workers.processes_for(2, 4) == 2
    assert workers.processes_for(100_000, None) >= 1


def _seed(aws: Aws) -> dict[tuple[str, str], str]:
    made = {}
    for account in ACCOUNTS:
        for region in REGIONS:
            ec2 = aws.ec2_in(account, region)
            made[(account, region)] = helpers.group(
                ec2, helpers.vpc(ec2), f"web-{region}", ingress=(perm(cidrs=(A,)),)
            )
    return made


def test_two_processes_print_what_one_prints_and_apply_everywhere(aws: Aws, cli: Cli) -> None:
    made = _seed(aws)
    roles = [arg for a in ACCOUNTS for arg in ("--role-arn", f"arn:aws:iam::{a}:role/Ops")]
    ask = [
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        *roles,
        "-r",
        REGIONS[0],
        "-r",
        REGIONS[1],
    ]
    one = cli(*ask, "--dry-run", "--processes", "1")
    two = cli(*ask, "--dry-run", "--processes", "2")
    assert one.code == two.code == 0, two.err
    assert two.out == one.out
    assert len(one.out.strip().splitlines()) == 1 + len(ACCOUNTS) * len(REGIONS)
    done = cli(*ask, "--processes", "3", "-o", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["summary"]["changed"] == len(ACCOUNTS) * len(REGIONS)
    for (account, region), group in made.items():
        cidrs = {rule[4] for rule in helpers.rules(aws.ec2_in(account, region), group)}
        assert B in cidrs
        assert A not in cidrs


@dataclass
class _Ended:
    exitcode: int | None


def test_a_worker_that_dies_fails_only_its_unscanned_targets() -> None:
    fleet = [_target(a, REGION) for a in ACCOUNTS]
    orders = [
        workers._Order(0, (fleet[0], fleet[1]), None, runner.Options(), 0),  # type: ignore[arg-type]
        workers._Order(1, (fleet[2],), None, runner.Options(), 0),  # type: ignore[arg-type]
    ]
    seen: list[TargetResult] = []
    gathered = workers._Gathered({0: [], 1: []}, seen.append)
    gathered.take((0, TargetResult(fleet[0], account=fleet[0].account)))
    gathered.check([_Ended(-9), _Ended(None)], orders, queue.Queue())
    assert gathered.open == {1}
    failed = [r for r in seen if r.error is not None]
    assert [r.target for r in failed] == [fleet[1]]
    assert failed[0].error is not None
    assert "exit code -9" in str(failed[0].error)


def test_an_organization_in_every_region_is_listed_and_scanned_by_the_workers(
    aws: Aws, cli: Cli
) -> None:
    made = organizations.create("dev", "prod")
    for account, region in zip(made, ("eu-north-1", "sa-east-1"), strict=True):
        ec2 = aws.ec2_in(account, region)
        helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    ask = ["show", "--from-cidr", A, "--org-role", "Ops", "-r", "all", "-o", "json"]
    one, two = cli(*ask, "--processes", "1"), cli(*ask, "--processes", "2")
    assert one.code == two.code == 0, two.err
    assert two.out == one.out
    document = json.loads(two.out)
    # Every account (the management one too) in every region moto enables, each one target.
    listed = aws.ec2().describe_regions()["Regions"]
    regions = sum(r.get("OptInStatus") != "not-opted-in" for r in listed)
    assert document["summary"]["targets"] == (len(made) + 1) * regions
    assert {(r["account"], r["region"]) for r in document["rules"]} == {
        (made[0], "eu-north-1"),
        (made[1], "sa-east-1"),
    }


def test_concurrency_1_scans_in_one_process() -> None:
    fleet = [_target(f"{n:012d}", r) for n in range(500) for r in REGIONS]
    default = runner.Options()
    serial = runner.Options(concurrency=1, per_worker=1)
    assert workers.process_count(fleet, default) == workers.processes_for(len(fleet), None)
    assert workers.process_count(fleet, serial) == 1
    assert (
        workers.process_count(fleet, runner.Options(concurrency=1, per_worker=1, processes=2)) == 2
    )
