"""Undo what a journalled run changed, without overwriting what others changed since."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from sgupdater._types import GroupId, RuleId
from sgupdater.errors import ConfigError, InputError
from sgupdater.formats import JournalRecord, list_ref, rule_from_record, target_from
from sgupdater.models import Change, Target
from sgupdater.verify import Expect


def undo(record: JournalRecord) -> Expect | None:
    """The inverse of one applied change, and what must hold to make it; None: nothing to undo."""
    old = record["rule"]
    account, region = record.get("account"), record["region"]
    new = record.get("new_cidr")
    action = record["action"]
    ref = list_ref(record.get("prefix_list"))
    if action == "modify" and ref is not None and not new:
        # Migrated: the rule references the list now; point it back at its CIDR.
        now = rule_from_record(old, account, region, old["cidr"])
        return Expect(Change("modify", now, now.cidr, "roll back"), still=ref.id)
    if action == "create" and ref is not None:
        made = rule_from_record(old, account, region, old["cidr"])
        list_id = record.get("new_rule_id") or ""
        made = dataclasses.replace(made, group_id=GroupId(list_id))
        ref = dataclasses.replace(ref, id=list_id)
        undo = Change("delete", made, None, "roll back: delete the list", ref)
        return Expect(undo, still=old["cidr"])
    if action == "modify" and new:
        now = rule_from_record(old, account, region, new)
        back = ipaddress.ip_network(old["cidr"])
        return Expect(Change("modify", now, back, "roll back"), still=new)
    if action == "revoke":
        gone = rule_from_record(old, account, region, old["cidr"])
        return Expect(Change("authorize", gone, gone.cidr, "roll back: allow again"), absent=True)
    if action == "authorize" and new:
        added = rule_from_record(old, account, region, new)
        added = dataclasses.replace(added, rule_id=RuleId(record.get("new_rule_id") or ""))
        return Expect(Change("revoke", added, None, "roll back"), still=new)
    return None


def undos(records: Iterable[JournalRecord]) -> dict[Target, list[Expect]]:
    """The inverse of every applied change, newest first, per target."""
    found: dict[Target, list[Expect]] = defaultdict(list)
    try:
        applied = [
            r for r in records if r.get("event") == "after" and r.get("outcome") == "applied"
        ]
        for record in reversed(applied):
            expect = undo(record)
            if expect is not None:
                found[target_from(record)].append(expect)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the journal has a malformed change record ({exc})") from None
    except InputError as exc:
        raise ConfigError(f"the journal has a malformed change record ({exc})") from None
    return found
