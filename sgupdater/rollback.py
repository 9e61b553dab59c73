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


def undo(record: JournalRecord) -> list[Expect]:
    """The changes that undo one applied change, and what must hold to make them."""
    old = record["rule"]
    account, region = record.get("account"), record["region"]
    new = record.get("new_cidr")
    action = record["action"]
    ref = list_ref(record.get("prefix_list"))
    if action in ("modify", "authorize") and ref is not None and not new:
        # A rule made to reference the list: it is revoked once the literal rule allows the
        # CIDR again. That literal rule comes back by undoing its revoke; a version-1 journal
        # pointed the rule itself at the list in place, so it is allowed again here (EC2
        # cannot change a rule's type back).
        literal = rule_from_record(old, account, region, old["cidr"])
        made = record.get("new_rule_id") if action == "authorize" else old["rule_id"]
        reference = dataclasses.replace(literal, rule_id=RuleId(made or ""))
        drop = Change("revoke", reference, None, "roll back: drop the reference", ref)
        undone = [Expect(drop, still=ref.id, covered_by=str(literal.cidr))]
        if action == "modify":
            back = Change("authorize", literal, literal.cidr, "roll back: allow again")
            undone.insert(0, Expect(back, absent=True))
        return undone
    found = _inverse(record)
    return [found] if found is not None else []


def _inverse(record: JournalRecord) -> Expect | None:
    old = record["rule"]
    account, region = record.get("account"), record["region"]
    new = record.get("new_cidr")
    action = record["action"]
    ref = list_ref(record.get("prefix_list"))
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
            found[target_from(record)].extend(undo(record))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the journal has a malformed change record ({exc})") from None
    except InputError as exc:
        raise ConfigError(f"the journal has a malformed change record ({exc})") from None
    return found
