"""WAF IP sets as web ACLs and rule groups use them: block lists are never unblocked or moved
without a reviewed decision; the output says what each set is."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sgupdater.kinds.waf import use as waf_use
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
SEEN = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def _set(aws: Aws, name: str) -> dict[str, str]:
    made = aws.client("wafv2").create_ip_set(
        Name=name, Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[A, "203.0.113.7/32"]
    )["Summary"]
    return {"Name": made["Name"], "Id": made["Id"], "Scope": "REGIONAL", "ARN": made["ARN"]}


def _ref(arn: str) -> dict[str, Any]:
    return {"IPSetReferenceStatement": {"ARN": arn}}


def _rule(name: str, statement: dict[str, Any], action: str, priority: int) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Statement": statement,
        "Action": {action: {}},
        "VisibilityConfig": SEEN,
    }


def _world(aws: Aws) -> dict[str, dict[str, str]]:
    """Six sets, each holding A, each used differently."""
    sets = {n: _set(aws, n) for n in ("office", "bad", "not-office", "grouped", "rated", "spare")}
    client = aws.client("wafv2")
    rated = {
        "RateBasedStatement": {
            "Limit": 100,
            "AggregateKeyType": "IP",
            "ScopeDownStatement": _ref(sets["rated"]["ARN"]),
        }
    }
    rules = [
        _rule("AllowOffice", _ref(sets["office"]["ARN"]), "Allow", 1),
        _rule("BlockBad", _ref(sets["bad"]["ARN"]), "Block", 2),
        # Allow everyone but the set: the set's addresses are what this rule holds back.
        _rule(
            "AllowOthers",
            {"NotStatement": {"Statement": _ref(sets["not-office"]["ARN"])}},
            "Allow",
            3,
        ),
        _rule("Throttle", rated, "Block", 4),
    ]
    client.create_web_acl(
        Name="edge", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=rules,
        VisibilityConfig=SEEN,
    )  # fmt: skip
    client.create_rule_group(
        Name="shared", Scope="REGIONAL", Capacity=10, VisibilityConfig=SEEN,
        Rules=[_rule("BlockGrouped", _ref(sets["grouped"]["ARN"]), "Block", 1)],
    )  # fmt: skip
    return sets


def _addresses(aws: Aws, where: dict[str, str]) -> list[str]:
    ident = {k: where[k] for k in ("Name", "Id", "Scope")}
    found: list[str] = aws.client("wafv2").get_ip_set(**ident)["IPSet"]["Addresses"]
    return found


def test_each_set_shows_its_use(aws: Aws, cli: Cli) -> None:
    _world(aws)
    run = cli("show", "--from-cidr", A, "--waf", "-o", "json")
    assert run.code == 0, run.err
    uses = {r["group_name"].split(" ")[0]: r["description"] for r in json.loads(run.out)["rules"]}
    assert uses == {
        "office": "allow list (web ACL edge, rule AllowOffice)",
        "bad": "block list (web ACL edge, rule BlockBad)",
        "not-office": "block list (web ACL edge, rule AllowOthers)",
        "grouped": "block list (rule group shared, rule BlockGrouped)",
        "rated": "block list (web ACL edge, rule Throttle)",
        "spare": "unreferenced",
    }


def test_remove_never_unblocks_and_says_why(aws: Aws, cli: Cli) -> None:
    sets = _world(aws)
    run = cli("remove", "--yes", "--cidr", A, "--waf", "-o", "json")
    assert run.code == 0, run.err
    for name, where in sets.items():
        kept = name not in ("office", "spare")
        assert (A in _addresses(aws, where)) is kept, name
    rows = {r["group_name"].split(" ")[0]: r for r in json.loads(run.out)["changes"]}
    assert rows["bad"]["status"] == "kept"
    assert rows["bad"]["detail"] == (
        f"kept: the IP set is used as block list (web ACL edge, rule BlockBad); removing it "
        f"would let {A} in"
    )
    assert rows["office"]["status"] == "applied"


def test_update_moves_a_block_list_only_when_included(aws: Aws, cli: Cli) -> None:
    sets = _world(aws)
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--waf", "-o", "json")
    # The job is not done while a block list still names the old range: exit 1, saying why.
    assert run.code == 1
    statuses = {r["group_name"].split(" ")[0]: r["status"] for r in json.loads(run.out)["changes"]}
    assert statuses == {
        "office": "applied", "spare": "applied", "bad": "blocked", "not-office": "blocked",
        "grouped": "blocked", "rated": "blocked",
    }  # fmt: skip
    assert "pass --include-block-lists to change it anyway" in run.err
    assert _addresses(aws, sets["bad"]) == [A, "203.0.113.7/32"]
    assert _addresses(aws, sets["office"]) == [B, "203.0.113.7/32"]
    ask = ["--from-cidr", A, "--to-cidr", B, "--waf", "--include-block-lists", "-o", "json"]
    again = cli("update", "--yes", *ask)
    assert again.code == 0, again.err
    # The decision is named in what the run (and a plan file) says of each such change.
    details = {r["group_name"].split(" ")[0]: r["detail"] for r in json.loads(again.out)["changes"]}
    assert details["bad"] == (
        "replace in place; the IP set is used as block list (web ACL edge, rule BlockBad) "
        "(--include-block-lists)"
    )
    assert all(_addresses(aws, where)[0] == B for where in sets.values())


@pytest.mark.parametrize(
    ("action", "negated", "labels", "word"),
    [
        ("Allow", False, False, "allow"),
        ("Allow", True, False, "block"),
        ("Block", False, False, "block"),
        ("Block", True, False, "allow"),
        ("Captcha", False, False, "block"),
        ("Challenge", False, False, "block"),
        ("Count", False, False, None),
        # A counting rule that labels requests lets a later rule block by the label.
        ("Count", False, True, "block"),
    ],
)
def test_what_a_reference_means_under_each_action(
    action: str, negated: bool, labels: bool, word: str | None
) -> None:
    statement = _ref("arn:set")
    if negated:
        statement = {"NotStatement": {"Statement": statement}}
    rule = _rule("r", {"AndStatement": {"Statements": [statement]}}, action, 1)
    if labels:
        rule["RuleLabels"] = [{"Name": "office"}]
    found = [(arn, w) for arn, w, _ in waf_use._uses_of([rule], "web ACL x", {})]
    assert found == ([("arn:set", word)] if word else [])


def test_a_web_acl_override_counts_as_what_it_makes_the_rule_do() -> None:
    # A rule group's Count rule that a web ACL overrides to Block blocks.
    rule = _rule("Watch", _ref("arn:set"), "Count", 1)
    found = list(waf_use._uses_of([rule], "rule group g", {"Watch": {"Block"}}))
    assert [(arn, w) for arn, w, _ in found] == [("arn:set", "block")]
