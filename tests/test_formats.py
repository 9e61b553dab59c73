"""Plan files and journal lines: what is written reads back as the same records."""

from __future__ import annotations

import ipaddress
import json

import pytest

from sgupdater import formats
from sgupdater.errors import ConfigError
from sgupdater.models import (
    Applied,
    Change,
    Credentials,
    Failed,
    Plan,
    PrefixListRef,
    Target,
    TargetResult,
)
from testkit.records import ACCOUNT, REGION, acl_entry, list_entry, sg_rule

A, B = "192.0.2.0/24", "198.51.100.0/24"
ENTRIES = [sg_rule(A), sg_rule("2001:db8::/32", direction="egress"), list_entry(A), acl_entry(A)]


@pytest.mark.parametrize("rule", ENTRIES, ids=lambda r: r.kind)
def test_every_kind_of_entry_reads_back_as_written(rule: object) -> None:
    record = formats.rule_record(rule)  # type: ignore[arg-type]
    stored = json.loads(json.dumps(record))
    assert formats.rule_from_record(stored, ACCOUNT, REGION, stored["cidr"]) == rule


def test_a_list_entry_is_written_as_version_1_wrote_it() -> None:
    record = formats.rule_record(list_entry(A))
    assert (record["direction"], record["protocol"], record["from_port"]) == ("ingress", "-1", -1)


def test_a_plan_document_reads_back_as_the_same_plans() -> None:
    target = Target(REGION, Credentials("prod", "arn:aws:iam::111111111111:role/Ops"), ACCOUNT)
    ref = PrefixListRef("offices", "pl-1", 5)
    changes = (
        Change("modify", sg_rule(A), ipaddress.ip_network(B), "replace in place"),
        Change("authorize", sg_rule(B, rule_id="sgr-2"), None, "reference offices", ref),
        Change("revoke", sg_rule(B, rule_id="sgr-2"), None, "offices referenced first", ref),
        Change("revoke", acl_entry(A), None, "remove"),
    )
    result = TargetResult(target, ACCOUNT, 1, Plan(changes, ()))
    document, count = formats.plan_document("update", [result])
    command, plans = formats.plans_from("plan.json", json.loads(json.dumps(document)))
    assert (count, command) == (4, "update")
    assert plans == {target: Plan(changes, tuple(c.rule for c in changes))}


def test_an_unknown_kind_in_a_plan_is_refused_with_its_place() -> None:
    document, _ = formats.plan_document(
        "update",
        [TargetResult(Target(REGION), ACCOUNT, 1, Plan((Change("revoke", sg_rule(A)),), ()))],
    )
    document["targets"][0]["changes"][0]["rule"]["kind"] = "firewall"
    with pytest.raises(ConfigError, match=r"targets\[0\]\.changes\[0\].*unknown kind 'firewall'"):
        formats.plans_from("plan.json", document)


def test_journal_lines_carry_the_outcome() -> None:
    change = Change("authorize", sg_rule(A), ipaddress.ip_network(B))
    target = Target(REGION, Credentials("prod"))
    before = formats.journal_change("update", target, change, "before")
    assert (before["event"], before["profile"], before["new_cidr"]) == ("before", "prod", B)
    applied = formats.journal_outcome(
        formats.journal_change("update", target, change, "after"), Applied("sgr-9")
    )
    assert (applied["outcome"], applied["new_rule_id"]) == ("applied", "sgr-9")
    failed = formats.journal_outcome(
        formats.journal_change("update", target, change, "after"), Failed("Boom", "no")
    )
    assert (failed["outcome"], failed["error"]) == ("failed", "Boom: no")


def test_a_version_1_migrate_change_is_read_as_reference_then_revoke() -> None:
    ref = PrefixListRef("offices", "pl-1", 5)
    old = Change("modify", sg_rule(A), None, "reference offices", ref)
    result = TargetResult(Target(REGION), ACCOUNT, 1, Plan((old,), ()))
    document, _ = formats.plan_document("migrate", [result])
    _, plans = formats.plans_from("plan.json", document)
    [plan] = plans.values()
    assert [(c.action, c.rule.rule_id, c.prefix_list) for c in plan.changes] == [
        ("authorize", "sgr-1", ref),
        ("revoke", "sgr-1", ref),
    ]
