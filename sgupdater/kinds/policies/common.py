"""What the two policy kinds (IAM and bucket policies) share: entries, traits, the contract."""

from __future__ import annotations

import copy
from typing import Any

from sgupdater._types import AccountId, ContainerId, KindName
from sgupdater.kinds.interface import KindError, Reading, Safety, Switch, Traits
from sgupdater.kinds.policies import document as policy_doc
from sgupdater.kinds.sending import Sender
from sgupdater.models import Change, Entry, Skipped

SWITCH = Switch(
    "policies",
    "--policies",
    "Also aws:SourceIp conditions in IAM policies (managed and inline) and S3 bucket policies.",
)
# A value added to a condition costs its text, two quotes and a comma, and two brackets when a
# single value becomes a list: counted whole, so the estimate can only be too high.
_ADDED = 5


def policy_rules(
    kind: KindName, where: tuple[str, str], document: Any, reading: Reading, owner: AccountId
) -> list[Entry]:
    """One entry per relevant aws:SourceIp value of a policy (container id, name)."""
    container, name = where
    return [
        Entry(
            kind=kind,
            account=owner,
            region=reading.target.region,
            container_id=ContainerId(container),
            container_name=name,
            cidr=hit.cidr,
            entry_id=hit.entry,
            description=hit.meaning,
        )
        for hit in policy_doc.hits(document)
        if reading.relevant(hit.cidr)
    ]


def policy_traits(container_form: str, container: str) -> Traits:
    """A policy kind: one write per policy carrying every change to it, values repeating
    across statements, global to the account."""
    return Traits(
        has_traffic=False,
        atomic=True,
        values_repeat=True,
        per_account=True,
        container_form=container_form,
        entry_form=policy_doc.ENTRY_FORM,
        container=container,
    )


def policy_safety(rule: Entry) -> Safety:
    """A policy's value: restricting when its removal widens; always governing callers.

    A value in a Deny, or under NotIpAddress, decides who may call; so does an Allow's
    IpAddress value (callers from the old range lose what it grants). Every policy write
    therefore waits until the rest of the run is done. It follows the range (no consent):
    an office's Deny-unless-from-here moves with the office.
    """
    effect, _, rest = (rule.description or "").partition(" ")
    operator = rest.split(" ")[0]
    restricts = ""
    if policy_doc.widens_if_removed(effect, operator):
        restricts = f"a {effect} {operator} value (it keeps the range out)"
    return Safety(restricts=restricts, governs_callers=True)


def policy_cost(change: Change) -> int:
    """Characters the change adds to the document, never less than it really does."""
    new = change.new_cidr
    if new is None or change.action == "revoke":
        return 0  # a value removed: counted as nothing saved
    if change.action == "authorize":
        return len(str(new)) + _ADDED
    return max(0, len(str(new)) - len(str(change.entry.cidr)))


def policy_cell(what: str, name: str, rule_id: str) -> str:
    """A policy as tables show it: what, its name, and the statement (Sid or #index)."""
    statement = rule_id.split("|", 1)[0] if rule_id else ""
    return f"{what} {name} [{statement}]" if statement else f"{what} {name}"


def rewritten(
    sender: Sender, changes: list[tuple[int, Change]], document: Any
) -> tuple[Any, list[tuple[int, Change]]]:
    """The document after the changes still possible; those not are settled as skipped."""
    after = copy.deepcopy(document)
    todo: list[tuple[int, Change]] = []
    for index, change in changes:
        rule = change.entry
        try:
            why = policy_doc.rewrite(
                after, rule.entry_id, change.action, rule.cidr, change.new_cidr
            )
        except KindError as exc:
            why = f"{exc}; left as it is"
        if why:
            # Every reason leaves nothing wider: the value is gone, the new one is there, or
            # removing it would change what the condition means (kept on purpose).
            sender.settle([(index, change)], Skipped(why, settled=True))
        else:
            todo.append((index, change))
    return after, todo


def made_ids(todo: list[tuple[int, Change]]) -> dict[int, str]:
    """The entry id each added or replaced value has now, for rollback to find it."""
    ids: dict[int, str] = {}
    for index, change in todo:
        if change.action in ("authorize", "modify") and change.new_cidr is not None:
            ref, operator = policy_doc.parse_entry(change.entry.entry_id)
            ids[index] = policy_doc.entry_of(ref, operator, change.new_cidr)
    return ids
