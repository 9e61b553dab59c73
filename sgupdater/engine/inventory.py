"""--inventory config:AGGREGATOR: where a range is held, from an AWS Config aggregator.

One SelectAggregateResourceConfig query per recorded property of each kind in scope and per
range, paginated, answers across every account and region the aggregator gathers. It only
chooses where to read: every target visited is read live and verified before a write, as
without it; show alone reports from it, saying when Config recorded what it shows.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sgupdater._types import BOTH, AccountId, Cidr, Direction, KindName, Region
from sgupdater.aws import sessions as aws
from sgupdater.cidrs import inside
from sgupdater.errors import InputError, SgupdaterError
from sgupdater.kinds.interface import Kind, Record
from sgupdater.models import Entry
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")

PREFIX = "config:"
# ConfigurationAggregatorName (service model): 1 to 256 characters of pattern [\w\-]+.
_NAME = re.compile(r"[\w-]{1,256}", re.ASCII)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d", re.ASCII)
# Expression (service model): at most 4096 characters.
MAX_EXPRESSION = 4096
# Limit (service model): at most 100 results a page; without it a query pages by 25.
MAX_PAGE = 100
# Named, not `SELECT *`: "The SELECT all columns shorthand [...] selects only the top-level,
# scalar properties of a CI" (Config Developer Guide, advanced query limitations).
_FIELDS = (
    "accountId, awsRegion, resourceType, resourceId, configurationItemCaptureTime, "
    "configuration, tags"
)


class InventoryError(SgupdaterError):
    """The inventory could not be read: the run reads nothing rather than guess (exit 1)."""


@dataclass(frozen=True, slots=True)
class Source:
    """An AWS Config aggregator: its name, and the region it lives in (None: the run's home)."""

    aggregator: str
    region: str | None = None

    def __str__(self) -> str:
        return f"{PREFIX}{self.aggregator}" + (f"@{self.region}" if self.region else "")


def parse(text: str, where: str = "--inventory") -> Source:
    """config:NAME or config:NAME@REGION; anything else is bad input."""
    if not text.startswith(PREFIX):
        raise InputError(f"{where} {text!r}: expected config:AGGREGATOR[@REGION]")
    name, _, region = text[len(PREFIX) :].partition("@")
    if not _NAME.fullmatch(name):
        raise InputError(
            f"{where} {text!r}: an aggregator's name is 1 to 256 letters, digits, _ and -"
        )
    if region and not _REGION.fullmatch(region):
        raise InputError(f"{where} {text!r}: {region!r} is not a region name")
    return Source(name, region or None)


@dataclass(frozen=True, slots=True)
class Query:
    """One advanced query: the kind whose containers it finds, and its expression."""

    kind: KindName
    expression: str


def queries(
    searched: Iterable[Kind], ranges: Sequence[Cidr], directions: frozenset[Direction] = BOTH
) -> list[Query]:
    """A query per recorded property and range: the containers holding anything overlapping it.

    "CIDR notation is converted to IP ranges for search. This means that "=" and "BETWEEN"
    search for any range that includes the provided IP" (Config Developer Guide, advanced query
    limitations): BETWEEN the range's first and last address finds every container with an
    entry overlapping it, wider ones (0.0.0.0/0) included; the records are sifted here. The
    guide's way to exclude wider ranges (NOT < / NOT >) is not used: conditions on an array
    hold if any element matches, so it would drop a group holding the range beside a wider one.
    UNVERIFIED: the guide shows IPv4 only; IPv6 properties are of the same cidr_block type.
    """
    found: list[Query] = []
    for kind in searched:
        recorded = kind.recorded
        if recorded is None:
            continue
        for prop, version, direction in recorded.properties:
            if direction is not None and direction not in directions:
                continue
            for cidr in ranges:
                if version and cidr.version != version:
                    continue
                first, last = cidr.network_address, cidr.broadcast_address
                expression = (
                    f"SELECT {_FIELDS} WHERE resourceType = '{recorded.resource_type}' "
                    f"AND {prop} BETWEEN '{first}' AND '{last}'"
                )
                # Fixed words, a type, a property and two addresses: far below the limit.
                assert len(expression) <= MAX_EXPRESSION
                found.append(Query(kind.name, expression))
    return found


def _tags(raw: Any) -> dict[str, str]:
    # Advanced query answers tags as a list of {"key", "value"} (tags.key, tags.value).
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    pairs = [t for t in raw or () if isinstance(t, dict)]
    return {str(t.get("key", "")): str(t.get("value", "")) for t in pairs}


def record_of(text: str) -> Record | None:
    """One answer of a query; None (logged) for one without the fields asked for."""
    try:
        item = json.loads(text)
        configuration = item["configuration"]
        if isinstance(configuration, str):
            configuration = json.loads(configuration)
        return Record(
            account=AccountId(str(item["accountId"])),
            region=Region(str(item["awsRegion"])),
            resource_id=str(item["resourceId"]),
            configuration=configuration if isinstance(configuration, dict) else {},
            tags=_tags(item.get("tags")),
            captured=str(item.get("configurationItemCaptureTime", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        log.info("inventory: an answer without its fields was left aside: %.200s", text)
        return None


def _pages(client: Any, source: Source, query: Query, page_size: int) -> Iterator[Record]:
    paginator = client.get_paginator("select_aggregate_resource_config")
    pages = paginator.paginate(
        Expression=query.expression,
        ConfigurationAggregatorName=source.aggregator,
        PaginationConfig={"PageSize": min(page_size, MAX_PAGE)},
    )
    for page in pages:
        for text in page.get("Results", []):
            record = record_of(text)
            if record is not None:
                yield record


Where = tuple[AccountId, Region]


@dataclass
class Inventory:
    """What the inventory says: the entries holding the range, by account and region."""

    source: Source
    holders: dict[Where, list[Entry]] = field(default_factory=dict)
    # Containers recorded per account-region (of kinds whose containers the summary counts).
    containers: dict[Where, int] = field(default_factory=dict)
    # The earliest and latest time Config recorded a holder ("" when none holds the range).
    captured: tuple[str, str] = ("", "")
    records: int = 0

    def add(self, kind: Kind, record: Record, entries: list[Entry]) -> None:
        """A record's entries that hold the range (none: it held only something wider)."""
        self.records += 1
        if not entries:
            return
        where = (record.account, record.region)
        self.holders.setdefault(where, []).extend(entries)
        if kind.traits.counted:
            self.containers[where] = self.containers.get(where, 0) + 1
        if record.captured:
            first, last = self.captured
            self.captured = (min(first or record.captured, record.captured),
                             max(last, record.captured))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Asked:
    """What the run searches for: the kinds, the ranges, and which entries matter."""

    kinds: tuple[Kind, ...]
    ranges: tuple[Cidr, ...]
    relevant: Callable[[Cidr], bool]
    scope: Scope
    directions: frozenset[Direction] = BOTH

    def holds(self, cidr: Cidr) -> bool:
        """True for a CIDR the run is about: relevant, and inside one of the ranges searched."""
        return self.relevant(cidr) and any(inside(cidr, r) for r in self.ranges)


def read(client: Any, source: Source, asked: Asked, at_once: int = 4) -> Inventory:
    """Run the queries (at_once in parallel, each paginated); a record holding the range keeps
    its relevant entries. Any failure is an InventoryError."""
    by_name = {kind.name: kind for kind in asked.kinds}
    scope = asked.scope
    sent = queries(asked.kinds, asked.ranges, asked.directions)
    found = Inventory(source)
    seen: set[tuple[KindName, str, str, str]] = set()

    def run(query: Query) -> list[Record]:
        return list(_pages(client, source, query, scope.page_size))

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(at_once, len(sent)))) as pool:
            for query, records in zip(sent, pool.map(run, sent), strict=True):
                kind = by_name[query.kind]
                for record in records:
                    # A container answers every query of its kind it matches: counted once.
                    key = (kind.name, record.account, record.region, record.resource_id)
                    if key in seen:
                        continue
                    seen.add(key)
                    recorded = kind.recorded
                    assert recorded is not None
                    kept = [e for e in recorded.entries(record, scope) if asked.relevant(e.cidr)]
                    holds = any(asked.holds(e.cidr) for e in kept)
                    found.add(kind, record, kept if holds else [])
    except aws.FAILURES as exc:
        error = aws.target_error(exc)
        raise InventoryError(
            f"inventory {source}: {error}; nothing was read (without --inventory every target "
            "is read live)"
        ) from None
    log.info("inventory %s: %d queries, %d records, %d account-regions hold the range",
             source, len(sent), found.records, len(found.holders))  # fmt: skip
    return found
