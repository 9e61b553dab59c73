"""Reading a journal back: every line checked, before and after lines paired, none dropped.

A change whose `before` line has no `after` (a run killed between the call and the write) is
in doubt: it is kept, marked, for rollback to settle by reading the entry as it is now.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from sgupdater.errors import ConfigError
from sgupdater.files.fields import Fields, depth_ok
from sgupdater.files.plan_read import JOURNAL_ACTIONS, change_from, open_world_refused, target_from
from sgupdater.models import Change, Target

# What a before line and its after line both say; the rest is the answer or bookkeeping.
_ANSWER = ("event", "time", "outcome", "error", "new_rule_id", "format_version")


@dataclass(frozen=True, slots=True)
class Journalled:
    """A change the journal says was made, or may have been (in doubt), checked."""

    line: int
    target: Target
    change: Change
    # What the call created: a new rule's id, a created list's id ("" when none or unknown).
    new_id: str = ""
    in_doubt: bool = False


def _content(record: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in record.items() if k not in _ANSWER}, sort_keys=True)


def _identity(record: dict[str, Any]) -> str:
    """Which change a line is about, whatever else an edit changed in it."""
    rule = record.get("rule") or {}
    listed = record.get("prefix_list") or {}
    keys = (
        record.get("run_id"), record.get("account"), record.get("region"),
        record.get("profile"), record.get("role_arn"), record.get("action"),
        rule.get("kind"), rule.get("group_id"), rule.get("rule_id"), rule.get("cidr"),
        listed.get("name"),
    )  # fmt: skip
    return json.dumps(keys)


def _restored(name: str, item: Journalled, open_world: bool) -> None:
    # Undoing a modify or a revoke allows the rule's old CIDR again: the journal's word.
    old = item.change.entry.cidr
    if item.change.action in ("modify", "revoke") and old.prefixlen == 0 and not open_world:
        claim = "the journal claims the rule allowed"
        raise open_world_refused(f"{name}:{item.line}", old, claim)


def journalled(name: str, lines: list[tuple[int, Any]], *, open_world: bool) -> list[Journalled]:
    """The applied and in-doubt changes of a journal, in the order they were journalled."""
    waiting: dict[str, list[tuple[Journalled, str]]] = defaultdict(list)
    made: list[Journalled] = []
    for number, record in lines:
        where = f"{name}:{number}"
        depth_ok(where, record)
        fields = Fields(where, record)
        event = fields.choice("event", ("start", "before", "after", "end", "kept"))
        if event in ("start", "end", "kept"):
            # A kept document is for the record: rollback restores values, not documents.
            continue
        target = target_from(fields)
        change = change_from(fields, target, actions=JOURNAL_ACTIONS, open_world=True)
        item = Journalled(number, target, change)
        if event == "before":
            waiting[_identity(record)].append((item, _content(record)))
            continue
        outcome = fields.choice("outcome", ("applied", "skipped", "failed"))
        befores = waiting[_identity(record)]
        if not befores:
            if outcome == "applied":
                raise ConfigError(f"{where}: an applied change with no before line: edited?")
            continue  # settled without a call (skipped, interrupted): nothing was sent
        before, content = befores.pop()
        if content != _content(record):
            raise ConfigError(
                f"{where}: this after line disagrees with its before line {before.line} "
                "on the change: the journal was edited"
            )
        if outcome == "applied":
            new_id = fields.text("new_rule_id", optional=True)
            made.append(Journalled(before.line, target, change, new_id))
    doubts = [replace(item, in_doubt=True) for items in waiting.values() for item, _ in items]
    found = sorted(made + doubts, key=lambda item: item.line)
    for item in found:
        _restored(name, item, open_world)
    return found
