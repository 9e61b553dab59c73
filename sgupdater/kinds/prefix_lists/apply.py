"""Changing one prefix list: entries under CurrentVersion, retried; create and delete."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from sgupdater._types import Cidr
from sgupdater.aws import sessions as aws
from sgupdater.kinds.interface import Batch, Indexed
from sgupdater.kinds.prefix_lists.read import changeable, described, entries_of
from sgupdater.kinds.sending import Sender
from sgupdater.models import Applied, Change, Failed, Outcome, Skipped

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

log = logging.getLogger("sgupdater")

MAX_ATTEMPTS = 5
# A list being changed answers IncorrectState until its change settles.
SETTLE_SECONDS = 60.0
POLL_SECONDS = 1.0
_BUSY = ("create-in-progress", "modify-in-progress", "restore-in-progress")
# Someone else changed the list between our read and our write, or it is busy with another
# change: read again and redo.
_RETRY = ("PrefixListVersionMismatch", "IncorrectState", "ConcurrentMutationLimitExceeded")
# ModifyManagedPrefixListRequest: AddEntries and RemoveEntries are lists of "max": 100.
MAX_PER_CALL = 100
# One change's entries to add and to remove.
Step = tuple[tuple[int, Change], list[Any], list[Any]]


def _first_call(steps: list[Step]) -> list[Step]:
    """The first changes whose entries fit one call: at most 100 added and 100 removed."""
    added = removed = 0
    for count, (_, adds, removes) in enumerate(steps):
        added, removed = added + len(adds), removed + len(removes)
        if added > MAX_PER_CALL or removed > MAX_PER_CALL:
            return steps[: max(count, 1)]
    return steps


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
        """Edit the list in calls of at most 100 additions and 100 removals, one at a time.

        A call carries whole changes: a replacement's addition and removal travel together, so
        no call narrows what another has yet to widen. A call refused because the list moved
        or is busy is re-read and retried, up to MAX_ATTEMPTS times.
        """
        queue, attempt = list(self.batch), 1
        while queue:
            # Each call waits for the list to settle from the one before (modify-complete).
            raw = _settled(self.client, self.resource_id)
            entries = dict(entries_of(self.client, self.resource_id))
            steps = self._edits(entries, queue)
            if not steps:
                return
            chunk = _first_call(steps)
            todo = [item for item, _, _ in chunk]
            adds = [entry for _, added, _ in chunk for entry in added]
            removes = [entry for _, _, removed in chunk for entry in removed]
            if not self._fits(raw, len(entries) - len(removes) + len(adds), steps):
                return
            response = self.call(
                "ModifyManagedPrefixList",
                todo,
                partial(
                    self.client.modify_managed_prefix_list,
                    PrefixListId=self.resource_id,
                    CurrentVersion=int(raw.get("Version") or 0),
                    AddEntries=adds,
                    RemoveEntries=removes,
                ),
            )
            rest = [item for item, _, _ in steps[len(chunk) :]]
            # Refused because the list moved or is busy, and found not made when read again
            # (a lost first attempt that did land is applied, not retried).
            again = self.failed_with(todo, _RETRY) if response is None else []
            if again and attempt < MAX_ATTEMPTS:
                # The journal keeps the refused attempt; the retry is journalled anew.
                log.info("%s busy or changed; re-reading (%d)", self.resource_id, attempt + 1)
                time.sleep(POLL_SECONDS * (attempt - 1))
                queue, attempt = again + rest, attempt + 1
                continue
            queue, attempt = rest, 1

    def _fits(self, raw: Any, count: int, steps: list[Step]) -> bool:
        limit = int(raw.get("MaxEntries") or 0)
        if not limit or count <= limit:
            return True
        message = _full(raw.get("PrefixListName", self.resource_id), count, limit)
        self.settle([item for item, _, _ in steps], Failed("PrefixListMaxEntriesExceeded", message))
        return False

    def _edits(self, entries: dict[Cidr, str | None], queue: Indexed) -> list[Step]:
        """What each change still adds and removes; those with nothing left are settled."""
        steps: list[Step] = []
        for index, change in queue:
            rule, new = change.entry, change.new_cidr
            removing = change.action in ("modify", "revoke")
            if removing and rule.cidr not in entries:
                self.settle(
                    [(index, change)],
                    Skipped(f"{rule.cidr} is no longer in the list", settled=True),
                )
                continue
            if change.action == "authorize" and new in entries:
                self.settle(
                    [(index, change)], Skipped(f"{new} is already in the list", settled=True)
                )
                continue
            removes = [{"Cidr": str(rule.cidr)}] if removing else []
            adds = []
            # A modify whose new CIDR is there already only drops the old one.
            if change.action in ("modify", "authorize") and new is not None and new not in entries:
                adds.append(_entry(new, rule.description))
            steps.append(((index, change), adds, removes))
        return steps

    def create(self) -> None:
        """Create the list holding the change's CIDR, or reuse one of that name."""
        index, change = self.batch[0]
        ref = change.reference
        # Migrate always names both.
        assert ref is not None
        assert change.new_cidr is not None
        existing = [raw for raw in described(self.client, name=ref.name) if changeable(raw)]
        if existing:
            # A re-run after an interruption: the list is there already. Journalled like a
            # call, so the journal never holds an applied change without its before line.
            if self.record is not None:
                self.record.before(change)
            self.settle([(index, change)], Applied(new_id=existing[0]["PrefixListId"]))
            return
        family = "IPv4" if change.new_cidr.version == 4 else "IPv6"
        entry = _entry(change.new_cidr, change.entry.description)
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
        if set(entries) - {change.entry.cidr}:
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
        run.settle(run.pending(batch), Skipped("the list is gone", settled=True))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        error = aws.target_error(exc)
        run.settle(run.pending(batch), Failed(error.code, str(error)))
    return run.outcomes
