"""Undo what a journalled run changed, without overwriting what others changed since."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from sgupdater._types import ContainerId, EntryId
from sgupdater.engine.verify import Expect
from sgupdater.files.journal import Journalled
from sgupdater.models import IN_DOUBT, Change, Target


def undo(item: Journalled) -> list[Expect]:
    """The changes that undo one journalled change, and what must hold to make them."""
    change, made = item.change, item.new_id
    rule, new, ref = change.entry, change.new_cidr, change.reference
    why = f"roll back ({IN_DOUBT}: no answer was journalled)" if item.in_doubt else "roll back"
    found: list[Expect] = []
    if change.action in ("modify", "authorize") and ref is not None and new is None:
        # A rule made to reference the list: revoked once the literal rule allows the CIDR
        # again. That literal rule comes back by undoing its revoke; a version-1 journal
        # pointed the rule itself at the list in place, so it is allowed again here (EC2
        # cannot change a rule's type back).
        reference = dataclasses.replace(
            rule, entry_id=EntryId(made if change.action == "authorize" else rule.entry_id)
        )
        if change.action == "modify":
            back = Change("authorize", rule, rule.cidr, f"{why}: allow again")
            found.append(Expect(back, absent=True, in_doubt=item.in_doubt))
        drop = Change("revoke", reference, None, f"{why}: drop the reference", ref)
        found.append(Expect(drop, still=ref.id, covered_by=str(rule.cidr), in_doubt=item.in_doubt))
    elif change.action == "create" and ref is not None:
        made_list = dataclasses.replace(rule, container_id=ContainerId(made))
        gone = Change("delete", made_list, None, f"{why}: delete the list", ref)
        found.append(Expect(gone, still=str(rule.cidr), in_doubt=item.in_doubt))
    elif change.action == "modify" and new is not None:
        # An entry named by what it allows (a policy's value) has a new id once modified.
        now = dataclasses.replace(rule, cidr=new, entry_id=EntryId(made or rule.entry_id))
        back = Change("modify", now, rule.cidr, why)
        found.append(Expect(back, still=str(new), in_doubt=item.in_doubt))
    elif change.action == "revoke":
        back = Change("authorize", rule, rule.cidr, f"{why}: allow again")
        found.append(Expect(back, absent=True, in_doubt=item.in_doubt))
    elif change.action == "authorize" and new is not None:
        added = dataclasses.replace(rule, cidr=new, entry_id=EntryId(made))
        found.append(
            Expect(Change("revoke", added, None, why), still=str(new), in_doubt=item.in_doubt)
        )
    return found


def undos(items: Iterable[Journalled]) -> dict[Target, list[Expect]]:
    """The inverse of every applied (or in-doubt) change, newest first, per target."""
    found: dict[Target, list[Expect]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.line, reverse=True):
        found[item.target].extend(undo(item))
    return found
