"""WAFv2 IP sets as a kind: their addresses, rewritten whole under the set's LockToken."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import botocore.exceptions

from sgupdater._types import AccountId, Cidr, ContainerId, KindName
from sgupdater.aws import sessions as aws
from sgupdater.cidrs import normalise
from sgupdater.kinds.common import ALLOWS
from sgupdater.kinds.interface import (
    Batch,
    KindError,
    KindScan,
    Reading,
    Recorded,
    Safety,
    Switch,
    Traits,
)
from sgupdater.kinds.sending import Sender
from sgupdater.kinds.waf import use as waf_use
from sgupdater.models import Change, Current, Entry, Failed, ItemFailure, Outcome, Skipped
from sgupdater.scope import Scope, tags_of

log = logging.getLogger("sgupdater")

NAME = KindName("ip-set")
CLOUDFRONT_NAME = KindName("cloudfront-ip-set")
# GetIPSet/UpdateIPSet, Scope: "To work with CloudFront, you must also specify the Region US
# East (N. Virginia)": CLOUDFRONT sets are read and changed through us-east-1 only, once per
# account, whichever regions the run visits.
CLOUDFRONT_REGION = "us-east-1"
SWITCH = Switch(
    "waf",
    "--waf",
    "Also the addresses of WAFv2 IP sets (REGIONAL per region; CLOUDFRONT once per account).",
)
# update and add move a block list's address only when the run includes block lists.
INCLUDE_BLOCK_LISTS = Switch(
    "include_block_lists",
    "--include-block-lists",
    "update/add also change WAF IP sets a Block rule uses (blocked otherwise): the new range is "
    "then blocked instead. remove never unblocks.",
    commands=("update", "add"),
)
# ListIPSets and ListTagsForResource: Limit "min": 1, "max": 100.
_LIMIT = 100
# WAF quotas, "Maximum number of IP addresses in an IP set": 10,000 (UNVERIFIED here: from
# the WAF developer guide's quota table, not the service model, which gives no max).
MAX_ADDRESSES = 10_000
MAX_ATTEMPTS = 5
# Name "pattern": "^[\w\-]+$" and Id "^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$".
_CONTAINER = re.compile(
    r"^(REGIONAL|CLOUDFRONT)/([\w\-]{1,128})/([0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})$",
    re.ASCII,
)


def container(scope: str, name: str, ident: str) -> str:
    """An IP set as plans and journals name it: SCOPE/NAME/ID, all that GetIPSet needs."""
    return f"{scope}/{name}/{ident}"


def _parts(ident: str) -> dict[str, str]:
    found = _CONTAINER.fullmatch(ident)
    if found is None:
        raise KindError(f"{ident!r} does not name an IP set as SCOPE/NAME/ID", "InvalidIPSet")
    return {"Scope": found.group(1), "Name": found.group(2), "Id": found.group(3)}


def _listed(client: Any, scope: str) -> Iterator[Any]:
    """Every IP set of this scope, page by page (ListIPSets has no paginator in botocore)."""
    marker: str | None = None
    while True:
        extra = {"NextMarker": marker} if marker else {}
        page = client.list_ip_sets(Scope=scope, Limit=_LIMIT, **extra)
        sets = page.get("IPSets", [])
        yield from sets
        marker = page.get("NextMarker")
        # An empty page ends the listing even with a marker: never loop on one.
        if not marker or not sets:
            return


def _tags(client: Any, arn: str) -> dict[str, str]:
    answer = client.list_tags_for_resource(ResourceARN=arn, Limit=_LIMIT)
    return tags_of({"Tags": answer.get("TagInfoForResource", {}).get("TagList", [])})


def _addresses(raw: Any) -> list[tuple[str, Cidr | None]]:
    """Each address as WAF holds it, and as a CIDR (None for one that does not parse)."""
    found: list[tuple[str, Cidr | None]] = []
    for text in raw.get("Addresses", []):
        try:
            found.append((text, normalise(text)))
        except ValueError:
            found.append((text, None))
    return found


class IpSets:
    """Addresses of WAFv2 IP sets (`--waf`) of one scope: REGIONAL per region, or CLOUDFRONT."""

    switch = SWITCH
    # Not searched through AWS Config: --inventory refuses a run that switches it on.
    recorded: Recorded | None = None
    allowances = (INCLUDE_BLOCK_LISTS,)

    def __init__(self, scope: str) -> None:
        self.scope = scope
        global_ = scope == "CLOUDFRONT"
        self.name = CLOUDFRONT_NAME if global_ else NAME
        # CLOUDFRONT sets answer from us-east-1 only: their client is pinned there.
        self.service = f"wafv2@{CLOUDFRONT_REGION}" if global_ else "wafv2"
        # Web ACL rules allow or block by the set: it gains addresses first, loses them last.
        self.traits = Traits(
            has_traffic=False,
            has_capacity=True,
            atomic=True,
            wraps=True,
            per_account=global_,
            container="IP set",
            # GetIPSet, Scope: CLOUDFRONT "must also specify the Region US East (N. Virginia)";
            # China's WAF is regional only and GovCloud has no CloudFront scope either
            # (UNVERIFIED beyond the WAF guide's endpoints table): read in aws alone.
            partitions=frozenset({"aws"}) if global_ else None,
            container_form=_CONTAINER.pattern.strip("^$"),
            entry_form="",
        )

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """The relevant addresses of every IP set, each with its use, and the room left."""
        held: list[tuple[str, list[Entry]]] = []
        room: dict[str, int] = {}
        failures: list[ItemFailure] = []
        for summary in _listed(client, self.scope):
            ident = container(self.scope, summary["Name"], summary["Id"])
            try:
                found = self._read_set(client, reading, summary, ident)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                error = aws.target_error(exc)
                failures.append(ItemFailure(self.name, ident, error.code, str(error)))
                continue
            if found is not None:
                room[ident] = MAX_ADDRESSES - found[0]
                held.append((summary["ARN"], found[1]))
        if not any(entries for _, entries in held):
            return KindScan((), room=room, failures=tuple(failures))
        use, problem = waf_use.use_of(client, self.scope)
        if problem is not None:
            what = f"web ACLs and rule groups: {problem}"
            failures.append(ItemFailure(self.name, "", problem.code, what))
        rules = [
            dataclasses.replace(entry, description=use(arn).text)
            for arn, entries in held
            for entry in entries
        ]
        return KindScan(tuple(rules), room=room, failures=tuple(failures))

    def _read_set(
        self, client: Any, reading: Reading, summary: Any, ident: str
    ) -> tuple[int, list[Entry]] | None:
        """How many addresses a set holds and its relevant ones; None when filtered out."""
        tags = _tags(client, summary["ARN"])
        if not reading.scope.wants(tags):
            return None
        held = _addresses(client.get_ip_set(**_parts(ident))["IPSet"])
        owner = AccountId(summary["ARN"].split(":")[4])
        return len(held), [
            Entry(
                kind=self.name,
                account=owner,
                region=reading.target.region,
                container_id=ContainerId(ident),
                container_name=f"{summary['Name']} ({self.scope})",
                cidr=cidr,
                managed=reading.scope.managed_by(tags),
            )
            for _, cidr in held
            if cidr is not None and reading.relevant(cidr)
        ]

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterator[Current]:
        """The addresses of these sets as they are now, each with the set's use now."""
        use, _ = waf_use.use_of(client, self.scope)
        for ident in container_ids:
            try:
                raw = client.get_ip_set(**_parts(ident))["IPSet"]
            except botocore.exceptions.ClientError as exc:
                if aws.target_error(exc).code == "WAFNonexistentItemException":
                    continue
                raise
            text = use(raw.get("ARN", "")).text
            for _, cidr in _addresses(raw):
                if cidr is not None:
                    yield Current("", (ContainerId(ident), None), str(cidr), text)

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Every change to one set in one UpdateIPSet, under the LockToken just read."""
        run = _SetRun(client, batch)
        return run.carried_out(batch, run.edit)

    def safety(self, rule: Entry) -> Safety:
        """A set a Block rule uses (or of unknown use) restricts; moving it needs consent."""
        use = (rule.description or "").split(" ", 1)[0]
        if use in waf_use.RESTRICTING:
            restricts = f"the IP set is used as {rule.description}"
            return Safety(restricts=restricts, consent=INCLUDE_BLOCK_LISTS.key)
        return ALLOWS

    def cost(self, change: Change) -> int:
        """The address quota is counted as room (entries), not here."""
        return 0

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """A set as "IP set" and its name and scope."""
        return f"IP set {name or ident}"


class _SetRun(Sender):
    def __init__(self, client: Any, batch: Batch) -> None:
        super().__init__(batch)
        self.client = client
        self.batch = batch
        self.where = _parts(batch.container_id)

    def edit(self) -> None:
        """Read the set, rewrite its addresses, send them with the LockToken; retry if moved.

        UpdateIPSet "completely replaces the mutable specifications ... with the ones that you
        provide": the description read is sent back with the addresses.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                answer = self.client.get_ip_set(**self.where)
            except botocore.exceptions.ClientError as exc:
                if aws.target_error(exc).code != "WAFNonexistentItemException":
                    raise
                self.settle(self.pending(self.batch), Skipped("the IP set is gone", settled=True))
                return
            raw, token = answer["IPSet"], answer["LockToken"]
            todo, addresses = self._rewrite(_addresses(raw))
            if not todo:
                return
            if len(addresses) > MAX_ADDRESSES:
                why = f"the IP set would hold {len(addresses)} addresses, more than {MAX_ADDRESSES}"
                self.settle(todo, Failed("WAFLimitsExceededException", why))
                return
            extra = {"Description": raw["Description"]} if raw.get("Description") else {}
            send = partial(
                self.client.update_ip_set, **self.where, Addresses=addresses, LockToken=token
            )
            if self.call("UpdateIPSet", todo, partial(send, **extra)) is not None:
                return
            # Changed since our read, and (read again) not by our own lost first attempt.
            again = self.failed_with(todo, ("WAFOptimisticLockException",))
            if not again or attempt == MAX_ATTEMPTS:
                return
            # Someone changed the set after our read: read it again, never overwrite theirs.
            log.info("%s changed since read; re-reading (%d)", self.resource_id, attempt + 1)
            for index, _ in again:
                del self.outcomes[index]
            time.sleep(0.2 * attempt)

    def _rewrite(
        self, held: list[tuple[str, Cidr | None]]
    ) -> tuple[list[tuple[int, Change]], list[str]]:
        """The changes still to make and the addresses after them, in the set's order."""
        addresses = [text for text, _ in held]
        present = {cidr: text for text, cidr in held if cidr is not None}
        todo: list[tuple[int, Change]] = []
        for index, change in self.pending(self.batch):
            old, new = change.entry.cidr, change.new_cidr
            removing = change.action in ("modify", "revoke")
            if removing and old not in present:
                self.settle(
                    [(index, change)], Skipped(f"{old} is no longer in the IP set", settled=True)
                )
                continue
            if change.action == "authorize" and new in present:
                self.settle(
                    [(index, change)], Skipped(f"{new} is already in the IP set", settled=True)
                )
                continue
            if change.action not in ("modify", "authorize", "revoke"):
                raise KindError(f"an IP set cannot {change.action}", "UnsupportedChange")
            at = addresses.index(present.pop(old)) if removing else len(addresses)
            if removing:
                del addresses[at]
            if new is not None and change.action != "revoke" and new not in present:
                # The new address takes the old one's place: the document reads as before.
                addresses.insert(at, str(new))
                present[new] = str(new)
            todo.append((index, change))
        return todo, addresses


KIND = IpSets("REGIONAL")
CLOUDFRONT_KIND = IpSets("CLOUDFRONT")
