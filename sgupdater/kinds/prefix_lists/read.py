"""Reading customer-managed prefix lists: descriptions, entries, what may be changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sgupdater._types import AccountId, Cidr, ContainerId, KindName, Region
from sgupdater.cidrs import normalise
from sgupdater.models import Entry
from sgupdater.scope import Scope, tags_of

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

NAME = KindName("prefix-list")
AWS_OWNER = "AWS"
_GONE = ("delete-in-progress", "delete-complete", "delete-failed")


def is_list_id(text: str) -> bool:
    """True when the text is a prefix list's id rather than its name."""
    return text.startswith("pl-")


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
    # The IPAM prefix list resolver target that keeps the list's CIDRs ("" when none).
    ipam_target: str = ""

    def holds(self, cidr: Cidr) -> bool:
        """True when one entry is exactly this CIDR."""
        return any(c == cidr for c, _ in self.entries)

    def locked(self, account: str) -> str:
        """Why this account cannot edit the list's entries ("" when it can)."""
        return locked(self.owner, self.ipam_target, self.name or self.id, account)


def locked(owner: str, ipam_target: str, name: str, account: str) -> str:
    """Why an account cannot edit a list's entries: shared by another owner, or IPAM's."""
    if account and owner and owner != account:
        return (
            f"prefix list {name} belongs to {owner}, shared with this account: its owner edits it"
        )
    # ManagedPrefixList.IpamPrefixListResolverTargetId: when set, "its CIDRs are automatically
    # synchronized [...] and direct CIDR modifications are restricted".
    if ipam_target:
        return f"prefix list {name} is IPAM-managed ({ipam_target}): change the resolver's CIDRs"
    return ""


def entries_of(client: EC2Client, list_id: str) -> tuple[tuple[Cidr, str | None], ...]:
    """A list's (CIDR, description) entries, every page."""
    paginator = client.get_paginator("get_managed_prefix_list_entries")
    found = []
    for page in paginator.paginate(PrefixListId=list_id):
        for raw in page.get("Entries", []):
            cidr = normalise(raw.get("Cidr", ""))
            if cidr is not None:
                found.append((cidr, raw.get("Description") or None))
    return tuple(found)


def info(client: EC2Client, raw: Any, scope: Scope) -> PrefixList:
    """A described list with all its entries read."""
    return PrefixList(
        id=raw["PrefixListId"],
        name=raw.get("PrefixListName", ""),
        owner=raw.get("OwnerId", ""),
        max_entries=int(raw.get("MaxEntries") or 0),
        family=raw.get("AddressFamily", ""),
        managed=scope.managed_by(tags_of(raw)),
        entries=entries_of(client, raw["PrefixListId"]),
        ipam_target=raw.get("IpamPrefixListResolverTargetId") or "",
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


def list_rule(
    list_id: str,
    name: str,
    where: tuple[AccountId, Region],
    cidr: Cidr,
    description: str | None,
    managed: str = "",
) -> Entry:
    """One entry as the pipeline carries it; rules referencing the list decide its traffic."""
    return Entry(
        kind=NAME,
        account=where[0],
        region=where[1],
        container_id=ContainerId(list_id),
        container_name=name,
        cidr=cidr,
        description=description,
        managed=managed,
    )
