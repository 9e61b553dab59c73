"""Customer-managed prefix lists: read their entries, change them under CurrentVersion."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from sgupdater import aws
from sgupdater._types import AccountId, Cidr, Direction, GroupId, Region, RuleId
from sgupdater.cidrs import normalise
from sgupdater.models import Applied, Current, Failed, Outcome, Rule, Skipped
from sgupdater.scanner import Scope, tags_of
from sgupdater.sending import Indexed, Recorder, Sender

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

log = logging.getLogger("sgupdater")

AWS_OWNER = "AWS"
MAX_ATTEMPTS = 5
# A list being changed answers IncorrectState until its change settles.
SETTLE_SECONDS = 60.0
POLL_SECONDS = 1.0
_BUSY = ("create-in-progress", "modify-in-progress", "restore-in-progress")
_GONE = ("delete-in-progress", "delete-complete", "delete-failed")
# Someone else changed the list between our read and our write: read again and redo.
_RETRY = ("PrefixListVersionMismatch", "IncorrectState")


@dataclass(frozen=True, slots=True)
class PrefixList:
    """A customer-managed prefix list and all its entries."""

    id: str
    name: str
    owner: str
    max_entries: int
    family: str
    managed: str
    entries: tuple[tuple[Cidr, str | None], ...]

    def holds(self, cidr: Cidr) -> bool:
        """True when one entry is exactly this CIDR."""
        return any(c == cidr for c, _ in self.entries)


def _entries(client: EC2Client, list_id: str) -> tuple[tuple[Cidr, str | None], ...]:
    paginator = client.get_paginator("get_managed_prefix_list_entries")
    found = []
    for page in paginator.paginate(PrefixListId=list_id):
        for raw in page.get("Entries", []):
            cidr = normalise(raw.get("Cidr", ""))
            if cidr is not None:
                found.append((cidr, raw.get("Description") or None))
    return tuple(found)


def _entry(cidr: Cidr, description: str | None) -> Any:
    entry = {"Cidr": str(cidr)}
    if description:
        entry["Description"] = description
    return entry


def info(client: EC2Client, raw: Any, scope: Scope) -> PrefixList:
    """A described list with all its entries read."""
    return PrefixList(
        id=raw["PrefixListId"],
        name=raw.get("PrefixListName", ""),
        owner=raw.get("OwnerId", ""),
        max_entries=int(raw.get("MaxEntries") or 0),
        family=raw.get("AddressFamily", ""),
        managed=scope.managed_by(tags_of(raw)),
        entries=_entries(client, raw["PrefixListId"]),
    )


def described(client: EC2Client, ids: Iterable[str] = (), name: str | None = None) -> list[Any]:
    """The raw descriptions of prefix lists (all, these ids, or those of this name)."""
    paginator = client.get_paginator("describe_managed_prefix_lists")
    query: dict[str, Any] = {"PaginationConfig": {"PageSize": 100}}
    if ids:
        query["PrefixListIds"] = sorted(ids)
    if name is not None:
        query["Filters"] = [{"Name": "prefix-list-name", "Values": [name]}]
    return [pl for page in paginator.paginate(**query) for pl in page.get("PrefixLists", [])]


def changeable(raw: Any) -> bool:
    """True for a described list that is customer-managed and not being deleted."""
    return raw.get("OwnerId") != AWS_OWNER and raw.get("State") not in _GONE


def customer_lists(client: EC2Client, scope: Scope) -> list[PrefixList]:
    """The account's own lists in scope, with their entries; never an AWS-managed one."""
    return [
        info(client, raw, scope)
        for raw in described(client)
        if changeable(raw) and scope.wants(tags_of(raw))
    ]


def list_rule(
    list_id: str,
    name: str,
    where: tuple[AccountId, Region],
    cidr: Cidr,
    description: str | None,
    managed: str = "",
) -> Rule:
    """One entry as the pipeline carries it: the list stands where a group would."""
    return Rule(
        account=where[0],
        region=where[1],
        vpc_id="",
        group_id=GroupId(list_id),
        group_name=name,
        rule_id=RuleId(""),
        direction="ingress",
        protocol="-1",
        from_port=-1,
        to_port=-1,
        cidr=cidr,
        description=description,
        kind="prefix-list",
        managed=managed,
    )


def scan(
    client: EC2Client, region: str, scope: Scope, relevant: Any, account: str | None
) -> tuple[list[Rule], dict[tuple[str, Direction], int]]:
    """The relevant entries of every list the account owns, and the room left in each."""
    rules: list[Rule] = []
    room: dict[tuple[str, Direction], int] = {}
    for pl in customer_lists(client, scope):
        if account and pl.owner != account:
            # Shared with this account (RAM): only its owner can change it.
            continue
        room[(pl.id, "ingress")] = pl.max_entries - len(pl.entries)
        where = (AccountId(pl.owner), Region(region))
        rules.extend(
            list_rule(pl.id, pl.name, where, c, d, pl.managed) for c, d in pl.entries if relevant(c)
        )
    return rules, room


def current(client: EC2Client, ids: Iterable[str]) -> Iterator[Current]:
    """The entries of these lists as they are now."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    for raw in described(client, wanted):
        for cidr, description in _entries(client, raw["PrefixListId"]):
            key = (raw["PrefixListId"], "ingress", "-1", -1, -1)
            yield Current("", key, str(cidr), description)


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
    def __init__(
        self, client: EC2Client, batch: Indexed, record: Recorder | None, stop: Any
    ) -> None:
        super().__init__(batch[0][1].rule.group_id, record, stop)
        self.client = client
        self.batch = batch

    def edit(self) -> None:
        """Add and remove entries in one call; re-read and retry when the version moved."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            raw = _settled(self.client, self.resource_id)
            entries = dict(_entries(self.client, self.resource_id))
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
            self.settle([(index, change)], Applied(new_rule_id=RuleId(existing[0]["PrefixListId"])))
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
            new_ids=lambda r: {index: RuleId(r["PrefixList"]["PrefixListId"])},
        )
        if response is not None:
            _settled(self.client, response["PrefixList"]["PrefixListId"])

    def delete(self) -> None:
        """Delete a list this tool created, unless it holds more than it was created with."""
        index, change = self.batch[0]
        entries = dict(_entries(self.client, self.resource_id))
        if set(entries) - {change.rule.cidr}:
            why = "entries were added to the list since; kept it"
            self.settle([(index, change)], Skipped(why))
            return
        self.call(
            "DeleteManagedPrefixList",
            [(index, change)],
            lambda: self.client.delete_managed_prefix_list(PrefixListId=self.resource_id),
        )


def apply_list(
    client: EC2Client, batch: Indexed, record: Recorder | None, stop: threading.Event | None
) -> dict[int, Outcome]:
    """Carry out every change of one prefix list."""
    run = _ListRun(client, batch, record, stop)
    actions = {change.action for _, change in batch}
    try:
        if "create" in actions:
            run.create()
        elif "delete" in actions:
            run.delete()
        else:
            run.edit()
    except LookupError:
        run.settle([b for b in batch if b[0] not in run.outcomes], Skipped("the list is gone"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        error = aws.target_error(exc)
        pending = [b for b in batch if b[0] not in run.outcomes]
        run.settle(pending, Failed(error.code, str(error)))
    return run.outcomes
