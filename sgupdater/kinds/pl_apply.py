"""Changing one prefix list: entries under CurrentVersion, retried; create and delete."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from sgupdater import aws
from sgupdater._types import Cidr
from sgupdater.kinds.pl_read import changeable, described, entries_of
from sgupdater.models import Applied, Failed, Outcome, Skipped
from sgupdater.sending import Batch, Indexed, Sender

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

log = logging.getLogger("sgupdater")

MAX_ATTEMPTS = 5
# A list being changed answers IncorrectState until its change settles.
SETTLE_SECONDS = 60.0
POLL_SECONDS = 1.0
_BUSY = ("create-in-progress", "modify-in-progress", "restore-in-progress")
# Someone else changed the list between our read and our write: read again and redo.
_RETRY = ("PrefixListVersionMismatch", "IncorrectState")


def _entry(cidr: Cidr, description: str | None) -> Any:
    entry = {"Cidr": str(cidr)}
    if description:
        entry["Description"] = description
    return entry


def _settled(client: EC2Client, list_id: str) -> Any:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        found = described(client, [list_id])
        if not found:
            raise LookupError(list_id)
        if found[0].get("State") not in _BUSY or time.monotonic() > deadline:
            return found[0]
        time.sleep(POLL_SECONDS)


def _full(name: str, count: int, limit: int) -> str:
    return (
        f"prefix list {name} would hold {count} entries, more than its MaxEntries {limit}; "
        "raise MaxEntries (aws ec2 modify-managed-prefix-list --max-entries) and run again"
    )


class _ListRun(Sender):
    def __init__(self, client: EC2Client, batch: Batch) -> None:
        super().__init__(batch)
        self.client = client
        self.batch = batch.changes

    def edit(self) -> None:
        """Add and remove entries in one call; re-read and retry when the version moved."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            raw = _settled(self.client, self.resource_id)
            entries = dict(entries_of(self.client, self.resource_id))
            todo, adds, removes = self._edits(entries)
            if not todo:
                return
            count = len(entries) - len(removes) + len(adds)
            limit = int(raw.get("MaxEntries") or 0)
            if limit and count > limit:
                message = _full(raw.get("PrefixListName", self.resource_id), count, limit)
                self.settle(todo, Failed("PrefixListMaxEntriesExceeded", message))
                return
            version = int(raw.get("Version") or 0)
            send = partial(
                self.client.modify_managed_prefix_list,
                PrefixListId=self.resource_id,
                CurrentVersion=version,
                AddEntries=adds,
                RemoveEntries=removes,
            )
            response = self.call("ModifyManagedPrefixList", todo, send)
            outcome = self.outcomes[todo[0][0]]
            retry = isinstance(outcome, Failed) and outcome.code in _RETRY
            if response is not None or not retry or attempt == MAX_ATTEMPTS:
                return
            # The journal keeps the refused attempt; the retry is recorded as sent anew, and
            # only for the changes that attempt carried.
            self.batch = todo
            log.info("%s changed meanwhile; re-reading (attempt %d)", self.resource_id, attempt + 1)

    def _edits(self, entries: dict[Cidr, str | None]) -> tuple[Indexed, list[Any], list[Any]]:
        todo: Indexed = []
        adds: list[Any] = []
        removes: list[Any] = []
        for index, change in self.batch:
            rule, new = change.rule, change.new_cidr
            removing = change.action in ("modify", "revoke")
            if removing and rule.cidr not in entries:
                self.settle([(index, change)], Skipped(f"{rule.cidr} is no longer in the list"))
                continue
            if change.action == "authorize" and new in entries:
                self.settle([(index, change)], Skipped(f"{new} is already in the list"))
                continue
            todo.append((index, change))
            if removing:
                removes.append({"Cidr": str(rule.cidr)})
            # A modify whose new CIDR is there already only drops the old one.
            if change.action in ("modify", "authorize") and new is not None and new not in entries:
                adds.append(_entry(new, rule.description))
        return todo, adds, removes

    def create(self) -> None:
        """Create the list holding the change's CIDR, or reuse one of that name."""
        index, change = self.batch[0]
        ref = change.prefix_list
        # Migrate always names both.
        assert ref is not None
        assert change.new_cidr is not None
        existing = [raw for raw in described(self.client, name=ref.name) if changeable(raw)]
        if existing:
            # A re-run after an interruption: the list is there already.
            self.settle([(index, change)], Applied(new_id=existing[0]["PrefixListId"]))
            return
        family = "IPv4" if change.new_cidr.version == 4 else "IPv6"
        entry = _entry(change.new_cidr, change.rule.description)
        response = self.call(
            "CreateManagedPrefixList",
            [(index, change)],
            lambda: self.client.create_managed_prefix_list(
                PrefixListName=ref.name,
                MaxEntries=ref.max_entries,
                AddressFamily=family,
                Entries=[entry],
            ),
            new_ids=lambda r: {index: r["PrefixList"]["PrefixListId"]},
        )
        if response is not None:
            _settled(self.client, response["PrefixList"]["PrefixListId"])

    def delete(self) -> None:
        """Delete a list this tool created, unless it holds more than it was created with."""
        index, change = self.batch[0]
        entries = dict(entries_of(self.client, self.resource_id))
        if set(entries) - {change.rule.cidr}:
            why = "entries were added to the list since; kept it"
            self.settle([(index, change)], Skipped(why))
            return
        self.call(
            "DeleteManagedPrefixList",
            [(index, change)],
            lambda: self.client.delete_managed_prefix_list(PrefixListId=self.resource_id),
        )


def apply_list(client: EC2Client, batch: Batch) -> dict[int, Outcome]:
    """Carry out every change of one prefix list."""
    run = _ListRun(client, batch)
    actions = {change.action for _, change in batch.changes}
    try:
        if "create" in actions:
            run.create()
        elif "delete" in actions:
            run.delete()
        else:
            run.edit()
    except LookupError:
        run.settle(run.pending(batch), Skipped("the list is gone"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        error = aws.target_error(exc)
        run.settle(run.pending(batch), Failed(error.code, str(error)))
    return run.outcomes
