"""The safety contract: every registered kind answers it, and the planner holds to it."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from sgupdater import kinds
from sgupdater._types import ContainerId, KindName
from sgupdater.cidrs import Mapping
from sgupdater.engine import apply_run
from sgupdater.engine.planner import Request, plan
from sgupdater.kinds.interface import Kind
from sgupdater.models import Change, Entry, Quota
from testkit import records

A, B = "192.0.2.0/24", "198.51.100.0/24"
NET = ipaddress.ip_network(A)
WAF_SET = "REGIONAL/office/0f3a9c2e-1b2d-4c5e-8f90-1a2b3c4d5e6f"


def _entry(kind: str, container: str, description: str | None, rule_id: str = "") -> Entry:
    return Entry(KindName(kind), records.ACCOUNT, records.REGION, ContainerId(container), "x", NET,
                entry_id=rule_id, description=description)  # fmt: skip


# Per kind: an entry that allows, and one that restricts (None: the kind has none). A kind added
# to the registry must add its answers here, or this test fails.
SAMPLES: dict[str, tuple[Entry, Entry | None]] = {
    "rule": (records.sg_rule(A), None),
    "prefix-list": (records.list_entry(A), None),
    "nacl": (records.acl_entry(A), records.acl_entry(A, number=90, action="deny")),
    "ip-set": (
        _entry("ip-set", WAF_SET, "allow list (web ACL edge, rule Office)"),
        _entry("ip-set", WAF_SET, "block list (web ACL edge, rule Bad)"),
    ),
    "cloudfront-ip-set": (
        _entry("cloudfront-ip-set", WAF_SET, "unreferenced"),
        _entry("cloudfront-ip-set", WAF_SET, "mixed (allow: a; block: b)"),
    ),
    "iam-policy": (
        _entry(
            "iam-policy",
            "role/web/p",
            "Deny NotIpAddress (everyone but this range)",
            f"S|NotIpAddress|{A}",
        ),
        _entry("iam-policy", "role/web/p", "Deny IpAddress", f"S|IpAddress|{A}"),
    ),
    "bucket-policy": (
        _entry("bucket-policy", "s3://b", "Allow IpAddress", f"S|IpAddress|{A}"),
        _entry(
            "bucket-policy",
            "s3://b",
            "Allow NotIpAddress (everyone but this range)",
            f"S|NotIpAddress|{A}",
        ),
    ),
}
UPDATE = Request("update", (Mapping(NET, ipaddress.ip_network(B)),))
REMOVE = Request("remove", (Mapping(NET, None),))


def test_every_registered_kind_has_its_answers_here() -> None:
    assert sorted(SAMPLES) == sorted(k.name for k in kinds.KINDS)


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_each_kind_answers_the_contract_and_the_planner_holds_to_it(kind: Kind) -> None:
    allows, restricts = SAMPLES[kind.name]
    assert kind.safety(allows).restricts == ""
    assert kind.traits.partitions is None or kind.traits.partitions <= {"aws", "aws-cn",
                                                                          "aws-us-gov"}  # fmt: skip
    # Restricting entries: remove keeps them, saying why; update moves them only with consent.
    if restricts is not None:
        safety = kind.safety(restricts)
        assert safety.restricts
        removed = plan([restricts], REMOVE)
        assert removed.changes == ()
        assert [why for _, why in removed.kept] == [
            f"kept: {safety.restricts}; removing it would let {A} in"
        ]
        updated = plan([restricts], UPDATE)
        assert bool(updated.blocked) is bool(safety.consent)
        # The allowance a kind names for consent is one it declares, so the run can give it.
        assert not safety.consent or safety.consent in {a.key for a in kind.allowances}
        consented = plan([restricts], UPDATE, allow=frozenset({safety.consent}))
        assert consented.changes
        assert not consented.blocked
    # Cost: never negative, so a quota is never thought to have more room than it has.
    changes = plan([allows], UPDATE).changes
    assert changes
    assert all(kind.cost(c) >= 0 for c in changes)
    # A container at its quota, or locked (protected, owned elsewhere), takes no change.
    full: dict[str, Quota] = {allows.container_id: Quota(allows.container_id, 11, 10, "things")}
    over = plan([allows], UPDATE, quotas=full)
    assert over.changes == ()
    assert f"{11 + sum(kind.cost(c) for c in changes)} of 10 things" in over.blocked[0][1]
    locked = plan([allows], UPDATE, {}, {allows.container_id: "protected: change it elsewhere"})
    assert locked.blocked == ((allows, "protected: change it elsewhere"),)
    # Writes that decide who may call AWS are the ones held for last.
    assert all(apply_run._last(c) is kind.safety(allows).governs_callers for c in changes)


def test_policy_cost_counts_the_longer_text() -> None:
    rule = SAMPLES["iam-policy"][0]
    kind = kinds.get("iam-policy")
    longer = Change("modify", rule, ipaddress.ip_network(B))
    assert kind.cost(longer) == len(B) - len(A)
    assert kind.cost(dataclasses.replace(longer, action="authorize")) == len(B) + 5
    assert kind.cost(Change("revoke", rule, None)) == 0
