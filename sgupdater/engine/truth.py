"""What is true after a write whose answer was an error or never came: read, never guessed.

A call can fail after AWS made it: the SDK retried a revoke whose first answer was lost and the
retry met NotFound; a multi-rule call may have been applied in part; a connection closed after
the request was carried out. Before an outcome is recorded, the container is read again
(the kind's `current`) and each change is found done, untouched, or neither (in doubt).
"""

from __future__ import annotations

import logging
from typing import Any

from sgupdater import kinds
from sgupdater.kinds.interface import Check, Indexed
from sgupdater.models import Change, Current, Found, PortKey, new_value
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")


class _Now:
    """A container's entries as read again, indexed the three ways a change is looked up."""

    def __init__(self, now: list[Current]) -> None:
        self.empty = not now
        self.by_value: dict[tuple[PortKey, str], Current] = {(c.key, c.cidr): c for c in now}
        self.by_slot = {(_direction(c.key), c.entry_id): c for c in now}
        self.ids = {c.entry_id for c in now}


def _direction(key: PortKey) -> str:
    return key[1].direction if key[1] is not None else ""


def _made_id(change: Change, new: str) -> str | None:
    """The id of the entry a policy-like change leaves: its id names its value."""
    old = str(change.entry.cidr)
    rule_id = change.entry.entry_id
    return rule_id[: -len(old)] + new if rule_id.endswith("|" + old) else None


def state_of(change: Change, now: _Now) -> Found:
    """Whether the change is in place in these entries (its container's, read now)."""
    rule, old, new = change.entry, str(change.entry.cidr), new_value(change)
    if change.action in ("create", "delete"):
        # A whole list: gone once deleted; made lists are found by name on a re-run.
        return Found("done") if change.action == "delete" and now.empty else Found("unknown")
    traits = kinds.get(rule.kind).traits
    if traits.in_place_only or (rule.entry_id and not traits.values_repeat):
        at = now.by_slot.get((_direction(rule.key), rule.entry_id))
        here = at.cidr if at is not None and at.key == rule.key else None
        if change.action == "authorize" and not traits.in_place_only:
            made = now.by_value.get((rule.key, new))
            return Found("done", made.entry_id or None) if made else Found("untouched")
        wanted = None if change.action == "revoke" else new
        before = None if change.action == "authorize" else old
        if here == wanted:
            return Found("done", rule.entry_id or None)
        return Found("untouched") if here == before else Found("unknown")
    old_here = (rule.key, old) in now.by_value and (not rule.entry_id or rule.entry_id in now.ids)
    new_id = _made_id(change, new) if rule.entry_id else None
    new_here = (rule.key, new) in now.by_value and (new_id is None or new_id in now.ids)
    if change.action == "revoke":
        return Found("untouched") if old_here else Found("done")
    if change.action == "authorize":
        return Found("done", new_id) if new_here else Found("untouched")
    if new_here and not old_here:
        return Found("done", new_id)
    return Found("untouched") if old_here else Found("unknown")


def checker(client: Any, container: str) -> Check:
    """How a batch of one container finds out what is true (for Batch.check)."""

    def check(batch: Indexed) -> dict[int, Found]:
        kind = kinds.get(batch[0][1].entry.kind)
        if not container or container.startswith("new:"):
            # A list still to be created has no id to read: a re-run finds it by its name.
            return {index: Found("unknown") for index, _ in batch}
        now = _Now(list(kind.current(client, [container], Scope())))
        log.info("%s: read again to learn what the call did", container)
        return {index: state_of(change, now) for index, change in batch}

    return check
