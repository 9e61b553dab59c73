"""Plan files and journal lines: what is written reads back as the same records."""

from __future__ import annotations

import ipaddress
import json

import pytest

from sgupdater.errors import ConfigError, InputError
from sgupdater.files import changes, journal
from sgupdater.files import plan as planfile
from sgupdater.files.changes import rule_from
from sgupdater.files.fields import Fields
from sgupdater.files.plan import plans_from
from sgupdater.models import (
    Applied,
    Change,
    ContainerRef,
    Credentials,
    Failed,
    Plan,
    Target,
    TargetResult,
)
from testkit.records import ACCOUNT, REGION, acl_entry, list_entry, sg_rule

A, B = "192.0.2.0/24", "198.51.100.0/24"
LIST = "pl-0123456789abcdef0"
ENTRIES = [sg_rule(A), sg_rule("2001:db8::/32", direction="egress"), list_entry(A), acl_entry(A)]


@pytest.mark.parametrize("rule", ENTRIES, ids=lambda r: r.kind)
def test_every_kind_of_entry_reads_back_as_written(rule: object) -> None:
    record = changes.rule_record(rule)  # type: ignore[arg-type]
    stored = json.loads(json.dumps(record))
    assert rule_from(Fields("rule", stored), ACCOUNT, REGION) == rule


def test_a_list_entry_is_written_as_version_1_wrote_it() -> None:
    record = changes.rule_record(list_entry(A))
    assert (record["direction"], record["protocol"], record["from_port"]) == ("ingress", "-1", -1)


def test_a_plan_document_reads_back_as_the_same_plans() -> None:
    target = Target(REGION, Credentials("prod", "arn:aws:iam::111111111111:role/Ops"), ACCOUNT)
    ref = ContainerRef("offices", LIST, 5)
    changes = (
        Change("modify", sg_rule(A), ipaddress.ip_network(B), "replace in place"),
        Change("authorize", sg_rule(B, entry_id="sgr-2"), None, "reference offices", ref),
        Change("revoke", sg_rule(B, entry_id="sgr-2"), None, "offices referenced first", ref),
        Change("revoke", acl_entry(A), None, "remove"),
    )
    result = TargetResult(target, ACCOUNT, 1, Plan(changes, ()))
    document, count = planfile.plan_document("update", [result])
    plans = plans_from("plan.json", json.loads(json.dumps(document)))
    assert count == 4
    assert plans == {target: Plan(changes, tuple(c.entry for c in changes))}


def test_an_unknown_kind_in_a_plan_is_refused_with_its_place() -> None:
    document, _ = planfile.plan_document(
        "update",
        [TargetResult(Target(REGION), ACCOUNT, 1, Plan((Change("revoke", sg_rule(A)),), ()))],
    )
    document["targets"][0]["changes"][0]["rule"]["kind"] = "firewall"
    with pytest.raises(ConfigError, match=r"targets\[0\]\.changes\[0\].*unknown kind 'firewall'"):
        plans_from("plan.json", document)


def test_journal_lines_carry_the_outcome() -> None:
    change = Change("authorize", sg_rule(A), ipaddress.ip_network(B))
    target = Target(REGION, Credentials("prod"))
    before = journal.journal_change("update", target, change, "before")
    assert (before["event"], before["profile"], before["new_cidr"]) == ("before", "prod", B)
    applied = journal.journal_outcome(
        journal.journal_change("update", target, change, "after"), Applied("sgr-9")
    )
    assert (applied["outcome"], applied["new_rule_id"]) == ("applied", "sgr-9")
    failed = journal.journal_outcome(
        journal.journal_change("update", target, change, "after"), Failed("Boom", "no")
    )
    assert (failed["outcome"], failed["error"]) == ("failed", "Boom: no")


def test_a_version_1_migrate_change_is_read_as_reference_then_revoke() -> None:
    ref = ContainerRef("offices", LIST, 5)
    old = Change("modify", sg_rule(A), None, "reference offices", ref)
    result = TargetResult(Target(REGION), ACCOUNT, 1, Plan((old,), ()))
    document, _ = planfile.plan_document("migrate", [result])
    plans = plans_from("plan.json", document)
    [plan] = plans.values()
    assert [(c.action, c.entry.entry_id, c.reference) for c in plan.changes] == [
        ("authorize", "sgr-1", ref),
        ("revoke", "sgr-1", ref),
    ]


def _plan(change: Change) -> dict[str, object]:
    document, _ = planfile.plan_document(
        "update", [TargetResult(Target(REGION, account=ACCOUNT), ACCOUNT, 1, Plan((change,), ()))]
    )
    return document


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("new_cidr", "0.0.0.0/0", r"changes\[0\]\.new_cidr: the change allows 0\.0\.0\.0/0"),
        ("new_cidr", "2001:db8::/32", r"new_cidr: 2001:db8::/32 is not of the IP family"),
        ("new_cidr", None, r"new_cidr: a modify needs the CIDR it allows"),
        ("new_cidr", "198.51.100.7/24", r"new_cidr: '198\.51\.100\.7/24' is not a canonical"),
        ("action", "obliterate", r"changes\[0\]\.action: 'obliterate' is not one of"),
    ],
)
def test_an_edited_plan_change_is_refused_naming_its_field(
    field: str, value: object, message: str
) -> None:
    document = _plan(Change("modify", sg_rule(A), ipaddress.ip_network(B)))
    document["targets"][0]["changes"][0][field] = value  # type: ignore[index]
    with pytest.raises(InputError, match=message):
        plans_from("plan.json", document)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("direction", "sideways", r"rule\.direction: 'sideways' is not one of"),
        ("from_port", 70000, r"rule\.from_port: 70000 is outside -1\.\.65535"),
        ("protocol", "tcp; rm", r"rule\.protocol: 'tcp; rm' is not of the expected form"),
        ("cidr", 7, r"rule\.cidr: expected a string"),
    ],
)
def test_an_edited_rule_is_refused_naming_its_field(
    field: str, value: object, message: str
) -> None:
    document = _plan(Change("modify", sg_rule(A), ipaddress.ip_network(B)))
    document["targets"][0]["changes"][0]["rule"][field] = value  # type: ignore[index]
    with pytest.raises(InputError, match=message):
        plans_from("plan.json", document)


def test_open_world_passes_only_when_asked() -> None:
    document = _plan(Change("modify", sg_rule(A), ipaddress.ip_network("0.0.0.0/0")))
    [plan] = plans_from("plan.json", document, open_world=True).values()
    assert str(plan.changes[0].new_cidr) == "0.0.0.0/0"


def test_a_deeply_nested_plan_is_refused_without_recursion() -> None:
    document = _plan(Change("modify", sg_rule(A), ipaddress.ip_network(B)))
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    document["targets"][0]["changes"][0]["reason"] = deep  # type: ignore[index]
    with pytest.raises(ConfigError, match="nested more than 32 levels"):
        plans_from("plan.json", document)
