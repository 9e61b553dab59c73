"""Undo what a journalled run changed, without overwriting what others changed since."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sgupdater._types import AccountId, Direction, GroupId, Region, RuleId
from sgupdater.errors import ConfigError
from sgupdater.journal import JournalRecord, RuleRecord
from sgupdater.models import Change, Credentials, Current, Key, Plan, Rule, Skipped, Target


@dataclass(frozen=True, slots=True)
class Undo:
    """One inverse change and what must hold for it to be safe."""

    change: Change
    expect_cidr: str | None  # the CIDR the rule must still allow (modify back, revoke added)


def _rule(record: RuleRecord, account: str | None, region: str, cidr: str) -> Rule:
    direction: Direction = "egress" if record["direction"] == "egress" else "ingress"
    return Rule(
        account=AccountId(account or ""),
        region=Region(region),
        vpc_id=record["vpc_id"],
        group_id=GroupId(record["group_id"]),
        group_name=record["group_name"],
        rule_id=RuleId(record["rule_id"]),
        direction=direction,
        protocol=record["protocol"],
        from_port=record["from_port"],
        to_port=record["to_port"],
        cidr=ipaddress.ip_network(cidr),
        description=record["description"],
    )


def _target(record: JournalRecord) -> Target:
    creds = Credentials(
        profile=record.get("profile"),
        role_arn=record.get("role_arn"),
        external_id=record.get("external_id"),
        session_name=record.get("session_name") or "sgupdater",
    )
    account = record.get("account")
    return Target(Region(record["region"]), creds, AccountId(account) if account else None)


def undos(records: Iterable[JournalRecord]) -> dict[Target, list[Undo]]:
    """The inverse of every applied change, newest first, per target."""
    found: dict[Target, list[Undo]] = defaultdict(list)
    try:
        applied = [
            r for r in records if r.get("event") == "after" and r.get("outcome") == "applied"
        ]
        for record in reversed(applied):
            target = _target(record)
            old = record["rule"]
            account, region = record.get("account"), record["region"]
            new = record.get("new_cidr")
            action = record["action"]
            if action == "modify" and new:
                now = _rule(old, account, region, new)
                back = ipaddress.ip_network(old["cidr"])
                found[target].append(Undo(Change("modify", now, back, "roll back"), new))
            elif action == "revoke":
                gone = _rule(old, account, region, old["cidr"])
                undo = Change("authorize", gone, gone.cidr, "roll back: allow again")
                found[target].append(Undo(undo, None))
            elif action == "authorize" and new:
                added = _rule(old, account, region, new)
                rule_id = record.get("new_rule_id") or ""
                added = dataclasses.replace(added, rule_id=RuleId(rule_id))
                found[target].append(Undo(Change("revoke", added, None, "roll back"), new))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the journal has a malformed change record ({exc})") from None
    return found


def check(undo_list: Sequence[Undo], current: Sequence[Current]) -> tuple[Plan, dict[int, Skipped]]:
    """Keep the undos whose rules still look as the run left them; say why the others are not."""
    by_id = {c.rule_id: c for c in current}
    allowed = {(c.key, c.cidr): c for c in current}
    changes: list[Change] = []
    skipped: dict[int, Skipped] = {}
    for index, undo in enumerate(undo_list):
        change = undo.change
        rule = change.rule
        key: Key = (rule.group_id, rule.direction, rule.protocol, rule.from_port, rule.to_port)
        if change.action == "authorize":
            if (key, str(rule.cidr)) in allowed:
                skipped[index] = Skipped(f"{rule.cidr} is already allowed again")
        elif change.action == "modify":
            now = by_id.get(rule.rule_id)
            if now is None:
                skipped[index] = Skipped("the rule was deleted since")
            elif (now.key, now.cidr, now.description) != (key, undo.expect_cidr, rule.description):
                skipped[index] = Skipped("the rule was changed since; not overwritten")
        else:
            now = by_id.get(rule.rule_id) or allowed.get((key, str(undo.expect_cidr)))
            if now is None:
                skipped[index] = Skipped("the rule it added is gone already")
            elif (now.key, now.cidr) != (key, undo.expect_cidr):
                skipped[index] = Skipped("the rule was changed since; not overwritten")
            else:
                change = Change("revoke", dataclasses.replace(rule, rule_id=RuleId(now.rule_id)))
        changes.append(change)
    return Plan(tuple(changes), tuple(u.change.rule for u in undo_list)), skipped
