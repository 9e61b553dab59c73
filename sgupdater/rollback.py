"""Undo what a journalled run changed, without overwriting what others changed since."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from sgupdater._types import AccountId, Direction, GroupId, Kind, Region, RuleId
from sgupdater.errors import ConfigError
from sgupdater.journal import JournalRecord, RuleRecord, credentials_from, list_ref
from sgupdater.models import Change, Rule, Target
from sgupdater.verify import Expect

_KINDS: dict[str, Kind] = {"rule": "rule", "prefix-list": "prefix-list", "nacl": "nacl"}


def rule_from_record(record: RuleRecord, account: str | None, region: str, cidr: str) -> Rule:
    """A rule as a journal or plan file recorded it, allowing `cidr`."""
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
        kind=_KINDS.get(record.get("kind", "rule"), "rule"),
        rule_action=record.get("rule_action") or "",
        managed=record.get("managed") or "",
    )


def _target(record: JournalRecord) -> Target:
    creds = credentials_from(record)
    account = record.get("account")
    return Target(Region(record["region"]), creds, AccountId(account) if account else None)


def undos(records: Iterable[JournalRecord]) -> dict[Target, list[Expect]]:
    """The inverse of every applied change, newest first, per target."""
    found: dict[Target, list[Expect]] = defaultdict(list)
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
            ref = list_ref(record.get("prefix_list"))
            if action == "modify" and ref is not None and not new:
                # Migrated: the rule references the list now; point it back at its CIDR.
                now = rule_from_record(old, account, region, old["cidr"])
                undo = Change("modify", now, now.cidr, "roll back")
                found[target].append(Expect(undo, still=ref.id))
            elif action == "create" and ref is not None:
                made = rule_from_record(old, account, region, old["cidr"])
                list_id = record.get("new_rule_id") or ""
                made = dataclasses.replace(made, group_id=GroupId(list_id))
                ref = dataclasses.replace(ref, id=list_id)
                undo = Change("delete", made, None, "roll back: delete the list", ref)
                found[target].append(Expect(undo, still=old["cidr"]))
            elif action == "modify" and new:
                now = rule_from_record(old, account, region, new)
                back = ipaddress.ip_network(old["cidr"])
                found[target].append(Expect(Change("modify", now, back, "roll back"), still=new))
            elif action == "revoke":
                gone = rule_from_record(old, account, region, old["cidr"])
                undo = Change("authorize", gone, gone.cidr, "roll back: allow again")
                found[target].append(Expect(undo, absent=True))
            elif action == "authorize" and new:
                added = rule_from_record(old, account, region, new)
                rule_id = record.get("new_rule_id") or ""
                added = dataclasses.replace(added, rule_id=RuleId(rule_id))
                found[target].append(Expect(Change("revoke", added, None, "roll back"), still=new))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the journal has a malformed change record ({exc})") from None
    return found
