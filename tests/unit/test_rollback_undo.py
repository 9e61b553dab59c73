"""rollback's inverses: each applied change of a journal becomes the change that undoes it."""

from __future__ import annotations

import ipaddress
from typing import Any

from sgupdater.engine.rollback import undo, undos
from sgupdater.engine.verify import Expect
from sgupdater.files import journal
from sgupdater.files.journal import Journalled, journalled
from sgupdater.models import Applied, Change, ContainerRef, Target
from testkit.records import ACCOUNT, REGION, list_entry, sg_rule

A, B = "192.0.2.0/24", "198.51.100.0/24"
LIST = "pl-0123456789abcdef0"
NEW = ipaddress.ip_network(B)
TARGET = Target(REGION, account=ACCOUNT)


def only(undone: list[Expect]) -> Expect:
    """The one change that undoes a record."""
    [expect] = undone
    return expect


def lines(change: Change, new_id: str | None = None) -> list[tuple[int, Any]]:
    """The before and after lines a run writes for a change that was made."""
    before = journal.journal_change("update", TARGET, change, "before")
    after = journal.journal_outcome(
        journal.journal_change("update", TARGET, change, "after"), Applied(new_id)
    )
    return [(1, before), (2, after)]


def applied(change: Change, new_id: str | None = None) -> Journalled:
    """The journalled change, read back as rollback reads it."""
    [item] = journalled("journal", lines(change, new_id), open_world=False)
    return item


def test_a_modify_is_modified_back_while_it_still_allows_the_new_cidr() -> None:
    expect = only(undo(applied(Change("modify", sg_rule(A), NEW))))
    back = expect.change
    assert (back.action, str(back.entry.cidr), str(back.new_cidr)) == ("modify", B, A)
    assert (back.entry.entry_id, expect.still) == ("sgr-1", B)


def test_a_revoke_is_authorized_again_unless_already_there() -> None:
    expect = only(undo(applied(Change("revoke", sg_rule(A), NEW))))
    assert (expect.change.action, str(expect.change.new_cidr), expect.absent) == (
        "authorize",
        A,
        True,
    )


def test_an_authorize_is_revoked_by_the_id_the_call_returned() -> None:
    expect = only(undo(applied(Change("authorize", sg_rule(A), NEW), "sgr-new")))
    assert (expect.change.action, expect.change.entry.entry_id, expect.still) == (
        "revoke",
        "sgr-new",
        B,
    )


def test_a_reference_is_dropped_once_the_literal_rule_is_back() -> None:
    ref = ContainerRef("offices", LIST, 5)
    drop = only(undo(applied(Change("authorize", sg_rule(A), None, "reference", ref), "sgr-ref")))
    assert (drop.change.action, drop.change.entry.entry_id, drop.still, drop.covered_by) == (
        "revoke",
        "sgr-ref",
        LIST,
        A,
    )
    # A version-1 journal pointed the rule itself at the list: allowed again, then dropped.
    back, drop = undo(applied(Change("modify", sg_rule(A), None, "reference", ref)))
    assert (back.change.action, str(back.change.new_cidr), back.absent) == ("authorize", A, True)
    assert (drop.change.action, drop.change.entry.entry_id) == ("revoke", "sgr-1")


def test_a_created_list_is_deleted_while_it_holds_only_what_it_was_made_with() -> None:
    ref = ContainerRef("offices", LIST, 5)
    entry = list_entry(A, list_id="")
    made = only(undo(applied(Change("create", entry, entry.cidr, "c", ref), LIST)))
    assert (made.change.action, made.change.entry.container_id, made.still) == ("delete", LIST, A)


def test_undos_come_newest_first_and_skip_what_was_not_applied() -> None:
    first = lines(Change("modify", sg_rule(A, entry_id="sgr-1"), NEW))
    second = [
        (n + 2, line) for n, line in lines(Change("modify", sg_rule(A, entry_id="sgr-2"), NEW))
    ]
    failed = [
        (n + 4, line) for n, line in lines(Change("modify", sg_rule(A, entry_id="sgr-3"), NEW))
    ]
    failed[1][1]["outcome"] = "failed"
    found = undos(journalled("journal", first + second + failed, open_world=False))
    assert [e.change.entry.entry_id for e in found[TARGET]] == ["sgr-2", "sgr-1"]
