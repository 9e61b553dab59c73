"""Customer-managed prefix lists as a kind: their entries, edited under CurrentVersion."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from sgupdater._types import AccountId, ContainerId, Region
from sgupdater.cidrs import normalise
from sgupdater.kinds.common import ALLOWS, named
from sgupdater.kinds.interface import (
    Batch,
    KindScan,
    Reading,
    Record,
    Recorded,
    Safety,
    Switch,
    Traits,
)
from sgupdater.kinds.prefix_lists import apply as pl_apply
from sgupdater.kinds.prefix_lists.read import (
    AWS_OWNER,
    NAME,
    changeable,
    described,
    entries_of,
    info,
    list_rule,
)
from sgupdater.models import Change, Current, Entry, Outcome
from sgupdater.scope import Scope, tags_of

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client


def _recorded_entries(record: Record, scope: Scope) -> Iterator[Entry]:
    # AWS::EC2::PrefixList records CloudFormation's names (aws-config-resource-schema:
    # configuration.Entries.Cidr, configuration.PrefixListId, configuration.OwnerId).
    config = record.configuration
    if config.get("OwnerId") == AWS_OWNER or not scope.wants(dict(record.tags)):
        return
    list_id = str(config.get("PrefixListId") or record.resource_id)
    where = (AccountId(str(config.get("OwnerId") or record.account)), Region(record.region))
    managed = scope.managed_by(dict(record.tags))
    for raw in config.get("Entries") or ():
        cidr = normalise(str(raw.get("Cidr", "")))
        if cidr is not None:
            name = str(config.get("PrefixListName", ""))
            yield list_rule(list_id, name, where, cidr, raw.get("Description") or None, managed)


RECORDED = Recorded(
    "AWS::EC2::PrefixList", (("configuration.Entries.Cidr", 0, None),), _recorded_entries
)


class PrefixLists:
    """Entries of the account's own prefix lists (`--prefix-lists`)."""

    name = NAME
    service = "ec2"
    switch = Switch(
        "prefix_lists",
        "--prefix-lists",
        "Also the entries of the account's customer-managed prefix lists.",
    )
    allowances: tuple[Switch, ...] = ()
    # Rules may reference a list: it gains entries before anything else and loses them last.
    traits = Traits(
        has_traffic=False,
        has_capacity=True,
        atomic=True,
        wraps=True,
        container="prefix list",
    )
    recorded = RECORDED

    def scan(self, client: EC2Client, reading: Reading) -> KindScan:
        """The relevant entries of every list the account owns, and the room left in each."""
        rules: list[Entry] = []
        room: dict[str, int] = {}
        held: dict[str, str] = {}
        for raw in described(client):
            if not changeable(raw) or not reading.scope.wants(tags_of(raw)):
                continue
            if reading.account and raw.get("OwnerId") != reading.account:
                # Shared with this account (RAM): only its owner can change it.
                continue
            pl = info(client, raw, reading.scope)
            room[pl.id] = pl.max_entries - len(pl.entries)
            if pl.ipam_target:
                held[pl.id] = pl.locked(pl.owner)
            where = (AccountId(pl.owner), reading.target.region)
            rules.extend(
                list_rule(pl.id, pl.name, where, c, d, pl.managed)
                for c, d in pl.entries
                if reading.relevant(c)
            )
        return KindScan(tuple(rules), room=room, locked=held)

    def current(
        self, client: EC2Client, container_ids: Sequence[str], scope: Scope
    ) -> Iterator[Current]:
        """The entries of these lists as they are now."""
        for raw in described(client, container_ids):
            list_id = raw["PrefixListId"]
            for cidr, description in entries_of(client, list_id):
                yield Current("", (ContainerId(list_id), None), str(cidr), description)

    def apply(self, client: EC2Client, batch: Batch) -> dict[int, Outcome]:
        """Create, edit under CurrentVersion, or delete one list."""
        return pl_apply.apply_list(client, batch)

    def safety(self, rule: Entry) -> Safety:
        """Entries only allow: removing one never lets more in; they govern traffic, not calls."""
        return ALLOWS

    def cost(self, change: Change) -> int:
        """No size quota: the room a list or group has left is counted by entries."""
        return 0

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """A list as "prefix list" and its id and name."""
        return f"prefix list {named(ident, name)}"


KIND = PrefixLists()
