"""The write path on a bad day: lost answers, retried calls, throttled roles, multi-rule calls.

Every kind is driven through a proxy that injects 500s, throttling, and connection resets
before a request arrives and after it was carried out (the answer lost). Whatever happens, an
update re-run until it succeeds reaches exactly the planned state, no journal line says
`failed` for a change that is in place, and rolling every journal back, newest first, gives
the original state exactly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from testkit import ec2_groups, helpers
from testkit.helpers import perm
from testkit.local_ec2 import LocalServer
from testkit.proxy import LatencyProxy
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
ACCOUNT = "123456789012"
# The faults of the property: 500, throttling, a reset before the request, and after it.
FAULTS = ("throttle", "error500", "reset-before", "reset-after")
EVERY_KIND = ["--prefix-lists", "--nacls", "--waf", "--policies"]
# The writes of every kind (S3's PutBucketPolicy is "PUT ?policy"): a schedule gives each the
# fault its first call meets; the other calls meet a fault by a seeded draw.
WRITES = (
    "ModifySecurityGroupRules", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "ModifyManagedPrefixList",
    "ReplaceNetworkAclEntry", "UpdateIPSet", "CreatePolicyVersion", "SetDefaultPolicyVersion",
    "PUT ?policy",
)  # fmt: skip
# make test runs the two explicit examples (every write's answer lost, each strategy);
# `make fault-properties` draws SGUPDATER_FAULT_EXAMPLES schedules more.
EXAMPLES = int(os.environ.get("SGUPDATER_FAULT_EXAMPLES", "0"))
LOST = dict.fromkeys(WRITES, "reset-after")


def _policy(cidr: str) -> str:
    condition = {"IpAddress": {"aws:SourceIp": [cidr, "203.0.113.0/24"]}}
    statement = {"Sid": "Office", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": condition}  # fmt: skip
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _world(aws: Aws) -> Callable[[], dict[str, Any]]:
    """One of each kind holding A; returns how to read their state (ids left out)."""
    ec2 = aws.ec2()
    vpc = helpers.vpc(ec2)
    web = helpers.group(ec2, vpc, "web", ingress=(perm("tcp", 22, cidrs=(A,), description="ssh"),
                                                  perm("tcp", 443, cidrs=(A,))))  # fmt: skip
    logs = helpers.group(ec2, vpc, "logs", egress=(perm("udp", 514, cidrs=(A,)),))
    listed = helpers.prefix_list(ec2, "office", ((A, "office"), ("10.0.0.0/8", "dc")))
    acl = helpers.acl(ec2, vpc, (100, False, "6", "allow", A, 22, 22))
    waf = aws.client("wafv2")
    made = waf.create_ip_set(Name="office", Scope="REGIONAL", IPAddressVersion="IPV4",
                             Addresses=[A, "203.0.113.7/32"])["Summary"]  # fmt: skip
    where = {"Name": made["Name"], "Id": made["Id"], "Scope": "REGIONAL"}
    iam, store = aws.client("iam"), aws.client("s3")
    arn = iam.create_policy(PolicyName="office", PolicyDocument=_policy(A))["Policy"]["Arn"]
    store.create_bucket(Bucket="reports")
    store.put_bucket_policy(Bucket="reports", Policy=_policy(A))

    def state() -> dict[str, Any]:
        default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]
        return {
            "web": helpers.rules(ec2, web),
            "logs": helpers.rules(ec2, logs),
            "list": helpers.entries(ec2, listed),
            "acl": helpers.acl_entries(ec2, acl),
            "waf": waf.get_ip_set(**where)["IPSet"]["Addresses"],
            "managed": version["Document"],
            "bucket": json.loads(store.get_bucket_policy(Bucket="reports")["Policy"]),
        }

    return state


def _planned(before: dict[str, Any]) -> dict[str, Any]:
    """The state the update plans: B wherever A was, nothing else changed."""

    def moved(text: str) -> str:
        return text.replace(f'"{A}"', f'"{B}"')

    return {
        k: sorted(map(moved, v)) if isinstance(v, list) else moved(v) for k, v in before.items()
    }


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    """The state as text to compare: each set's members as sorted JSON, the rest as JSON."""
    return {
        k: sorted(json.dumps(m) for m in v) if isinstance(v, set) else json.dumps(v)
        for k, v in state.items()
    }


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if path.exists():
        for line in path.read_text().splitlines():
            yield json.loads(line)


def _identity(line: dict[str, Any]) -> tuple[str, ...]:
    rule = line["rule"]
    return (rule["kind"], rule["group_id"], rule["rule_id"], rule["cidr"], line["action"])


def _no_failed_line_for_what_was_made(journals: list[Path]) -> None:
    """A `failed` line is true: the change was not in place, so a later line applies it."""
    lines = [line for path in journals for line in _lines(path) if line["event"] == "after"]
    for at, line in enumerate(lines):
        if line["outcome"] == "failed":
            later = [_identity(x) for x in lines[at + 1 :] if x["outcome"] == "applied"]
            assert _identity(line) in later, line


def _until_done(cli: Cli, *args: str) -> list[int]:
    codes: list[int] = []
    for _ in range(6):
        run = cli(*args)
        assert "Traceback" not in run.err, run.err
        codes.append(run.code)
        if run.code == 0:
            return codes
    raise AssertionError(f"did not converge: {codes}")


@settings(
    max_examples=max(EXAMPLES, 1),
    phases=[Phase.explicit, Phase.generate] if EXAMPLES else [Phase.explicit],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**16),
    strategy=st.sampled_from(["modify", "authorize-revoke"]),
    schedule=st.fixed_dictionaries({w: st.sampled_from((*FAULTS, "none")) for w in WRITES}),
)
@example(seed=1, strategy="modify", schedule=LOST)
@example(seed=2, strategy="authorize-revoke", schedule=LOST)
def test_every_kind_converges_and_rolls_back_exactly_under_faults(
    local: LocalServer,
    aws: Aws,
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    strategy: str,
    schedule: dict[str, str],
) -> None:
    local.reset()
    state = _world(aws)
    before = _comparable(state())
    script = ",".join(f"{w}={f}*1" for w, f in schedule.items() if f != "none")
    proxy = LatencyProxy(
        aws.url, 0.0, faults=0.05, seed=seed, script=script, choices=FAULTS
    ).start()
    journals: list[Path] = []
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        for attempt in range(6):
            journals.append(tmp_path / f"{seed}-{strategy}-{attempt}.jsonl")
            run = cli("update", "--from-cidr", A, "--to-cidr", B, *EVERY_KIND, "--strategy",
                      strategy, "--yes", "--journal", str(journals[-1]))  # fmt: skip
            assert "Traceback" not in run.err, run.err
            if run.code == 0:
                break
        assert run.code == 0, run.err
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws.url)
        assert _comparable(state()) == _planned(before)
        _no_failed_line_for_what_was_made(journals)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        for journal in reversed([j for j in journals if j.exists()]):
            _until_done(cli, "rollback", str(journal), "--yes")
    finally:
        proxy.stop()
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws.url)
    assert _comparable(state()) == before


def test_a_role_throttled_three_times_is_still_assumed(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    # A role the profile defines (botocore assumes it) and one given with --role-arn.
    aws.add_profile("ops", f"role_arn = arn:aws:iam::{ACCOUNT}:role/Ops\nsource_profile = default\n"
                    "region = us-east-1")  # fmt: skip
    proxy = LatencyProxy(aws.url, 0.0, script="AssumeRole=throttle*3@each").start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        by_profile = cli("show", "--from-cidr", A, "-p", "ops", "-o", "json", "-v")
        by_flag = cli("show", "--from-cidr", A, "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/Dev",
                      "-o", "json")  # fmt: skip
        counts = proxy.take_counts()
    finally:
        proxy.stop()
    for run in (by_profile, by_flag):
        assert run.code == 0, run.err
        assert [r["group_id"] for r in json.loads(run.out)["rules"]] == [group]
    # Each role's first three AssumeRole calls were throttled; the fourth answered.
    assert counts["AssumeRole"] == 8
    assert counts["fault:throttle"] == 6
    assert "retrying AssumeRole after Throttling (attempt 2)" in by_profile.err


@pytest.mark.parametrize("partial", [False, True], ids=["all-or-nothing", "rule-by-rule"])
def test_a_refused_multi_rule_modify_records_what_ec2_did(
    aws: Aws, cli: Cli, tmp_path: Path, partial: bool
) -> None:
    ec2 = aws.ec2()
    ports = (22, 80, 443)
    group = helpers.group(ec2, helpers.vpc(ec2), "web",
                          ingress=tuple(perm("tcp", p, cidrs=(A,)) for p in ports))  # fmt: skip
    ec2_groups.multi_rule(partial=partial)
    ec2_groups.refuse_rule_of_next_modify(2)
    journal = tmp_path / "j.jsonl"
    run = cli("update", "--from-cidr", A, "--to-cidr", B, "--yes", "-o", "json",
              "--journal", str(journal))  # fmt: skip
    assert run.code == 1
    now = {port: cidr for d, _, port, _, cidr, _ in helpers.rules(ec2, group) if d == "ingress"}
    statuses = {r["from_port"]: r["status"] for r in json.loads(run.out)["changes"]}
    # The report and the journal say exactly what EC2 did, whichever way it answered.
    assert statuses == {p: "applied" if now[p] == B else "failed" for p in ports}
    assert sorted(now.values()) == ([A, B, B] if partial else [A, A, A])
    _no_failed_line_for_what_was_made([journal, *_rerun(cli, tmp_path)])
    ingress = {r for r in helpers.rules(ec2, group) if r[0] == "ingress"}
    assert ingress == {("ingress", "tcp", p, p, B, "") for p in ports}


def _rerun(cli: Cli, tmp_path: Path) -> list[Path]:
    again = tmp_path / "again.jsonl"
    done = cli("update", "--from-cidr", A, "--to-cidr", B, "--yes", "--journal", str(again))
    assert done.code == 0, done.err
    return [again]
