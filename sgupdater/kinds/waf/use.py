"""What a WAF IP set means where it is used: an allow list, a block list, both, or neither.

An IP set is only data. The WAF guide: an IP set match statement is used "to allow or block
web requests based on the IP addresses"; what it does comes from the rules that reference it,
in web ACLs and rule groups. Removing a block list's address unblocks it; rewriting it blocks
another range. So every reference is read, and each set gets the use of all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from sgupdater.aws import sessions as aws
from sgupdater.errors import TargetError

ALLOW, BLOCK, MIXED, UNREFERENCED, UNKNOWN = "allow", "block", "mixed", "unreferenced", "unknown"
# ListWebACLs and ListRuleGroups: Limit "min": 1, "max": 100.
_LIMIT = 100
# The uses that make a set restrict rather than allow.
RESTRICTING = (BLOCK, MIXED, UNKNOWN)


@dataclass(frozen=True, slots=True)
class Use:
    """A set's use across every rule that references it, and where (for the output)."""

    word: str
    where: str = ""

    @property
    def text(self) -> str:
        """As the description column shows it, e.g. "block list (web ACL edge, rule Bad)"."""
        if self.word in (ALLOW, BLOCK):
            return f"{self.word} list ({self.where})"
        return f"{self.word} ({self.where})" if self.where else self.word


def _pages(client: Any, call: str, key: str, scope: str) -> Iterator[Any]:
    """Every item of a WAF listing (no paginator in botocore), page by page."""
    marker: str | None = None
    while True:
        extra = {"NextMarker": marker} if marker else {}
        page = getattr(client, call)(Scope=scope, Limit=_LIMIT, **extra)
        items = page.get(key, [])
        yield from items
        marker = page.get("NextMarker")
        if not marker or not items:
            return


def _references(node: Any, negated: bool = False) -> Iterator[tuple[str, bool]]:
    """(IP set ARN, under an odd number of NotStatements) of every reference in a statement.

    And, Or, rate-based and managed-rule-group scope-downs keep the polarity; Not inverts it.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "IPSetReferenceStatement" and isinstance(value, dict):
                yield str(value.get("ARN", "")), negated
            elif key == "NotStatement":
                yield from _references(value, not negated)
            else:
                yield from _references(value, negated)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value, negated)


def _word(action: str, negated: bool) -> str | None:
    """What a reference means under a rule's action; None: it decides nothing (Count)."""
    if action == "Count":
        return None
    if action == "Allow":
        return BLOCK if negated else ALLOW
    # Block, Captcha, Challenge (and any action added later): the range is held back, unless
    # negated, which exempts it. Count, Captcha and Challenge are never an allow.
    return ALLOW if negated else BLOCK


def _actions(rule: Any, overrides: dict[str, set[str]]) -> set[str]:
    """The actions a rule's match can take: its own and any a web ACL overrides it with."""
    found: set[str] = set()
    action = rule.get("Action")
    if isinstance(action, dict) and action:
        found.add(next(iter(action)))
    elif isinstance(rule.get("OverrideAction"), dict):
        # A rule group referenced as a whole: its own rules decide (a managed one's mostly
        # block), unless the web ACL counts them only.
        found.add("Count" if "Count" in rule["OverrideAction"] else "Block")
    else:
        found.add("Block")  # no action read: never assume an allow
    if rule.get("RuleLabels") and "Count" in found:
        # A counting rule that labels requests lets later rules block by the label.
        found = (found - {"Count"}) | {"Block"}
    found |= overrides.get(str(rule.get("Name", "")), set())
    return found


def _rule_overrides(rules: Any) -> dict[str, dict[str, set[str]]]:
    """Per rule group ARN, the actions web ACL rules override its rules with (by rule name)."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for rule in rules if isinstance(rules, list) else []:
        statement = rule.get("Statement", {}) if isinstance(rule, dict) else {}
        ref = statement.get("RuleGroupReferenceStatement")
        if not isinstance(ref, dict):
            continue
        for override in ref.get("RuleActionOverrides", []):
            action = override.get("ActionToUse", {})
            if isinstance(action, dict) and action:
                found[str(ref.get("ARN", ""))][str(override.get("Name", ""))].add(
                    next(iter(action))
                )
    return found


def _uses_of(
    rules: Any, where: str, overrides: dict[str, set[str]]
) -> Iterator[tuple[str, str, str]]:
    """(set ARN, word, where) for every reference in these rules."""
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        for arn, negated in _references(rule.get("Statement", {})):
            for action in sorted(_actions(rule, overrides)):
                word = _word(action, negated)
                if word is not None:
                    yield arn, word, f"{where}, rule {rule.get('Name', '?')}"


def uses(client: Any, scope: str) -> dict[str, Use]:
    """Each referenced IP set's use, by ARN, from every web ACL and rule group of the scope.

    A set missing from the answer is unreferenced. Raises what the reads raise: the caller
    treats every set as of unknown use then.
    """
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    overrides: dict[str, dict[str, set[str]]] = {}
    for summary in _pages(client, "list_web_acls", "WebACLs", scope):
        acl = client.get_web_acl(Name=summary["Name"], Scope=scope, Id=summary["Id"])["WebACL"]
        rules = [
            *acl.get("PreProcessFirewallManagerRuleGroups", []),
            *acl.get("Rules", []),
            *acl.get("PostProcessFirewallManagerRuleGroups", []),
        ]
        for arn, by_name in _rule_overrides(rules).items():
            for name, actions in by_name.items():
                overrides.setdefault(arn, {}).setdefault(name, set()).update(actions)
        for arn, word, where in _uses_of(rules, f"web ACL {summary['Name']}", {}):
            seen[arn].setdefault(word, where)
    for summary in _pages(client, "list_rule_groups", "RuleGroups", scope):
        group = client.get_rule_group(Name=summary["Name"], Scope=scope, Id=summary["Id"])
        rules = group["RuleGroup"].get("Rules", [])
        mine = overrides.get(summary["ARN"], {})
        for arn, word, where in _uses_of(rules, f"rule group {summary['Name']}", mine):
            seen[arn].setdefault(word, where)
    return {arn: _combined(words) for arn, words in seen.items()}


def _combined(words: dict[str, str]) -> Use:
    if len(words) == 1:
        word, where = next(iter(words.items()))
        return Use(word, where)
    return Use(MIXED, "; ".join(f"{word}: {where}" for word, where in sorted(words.items())))


def use_of(client: Any, scope: str) -> tuple[Callable[[str], Use], TargetError | None]:
    """Each set's use by its ARN (unreferenced when no rule names it), and the error when the
    web ACLs cannot be read: then every set is taken to block, never unblocked by accident."""
    try:
        known = uses(client, scope)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        error = aws.target_error(exc)
        unknown = Use(UNKNOWN, f"web ACLs not read: {error.code}")
        return (lambda arn: unknown), error
    return (lambda arn: known.get(arn, Use(UNREFERENCED))), None
