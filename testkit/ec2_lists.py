"""Customer-managed prefix lists in the local EC2: edits checked as EC2 checks them; pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import ec2_backends
from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend
from moto.ec2.responses.vpcs import VPCs

from testkit.paging import paginated

MAX_ENTRIES_PER_CALL = 100
# The attribute moto's serializer reads for ManagedPrefixList.IpamPrefixListResolverTargetId.
IPAM_TARGET = "ipam_prefix_list_resolver_target_id"


def _at_most_100(add: list[dict[str, str]], remove: list[dict[str, str]]) -> None:
    # Service model, ModifyManagedPrefixListRequest: AddEntries and RemoveEntries are lists of
    # "max": 100 (botocore does not check it before sending). Error code UNVERIFIED.
    for name, entries in (("AddEntries", add), ("RemoveEntries", remove)):
        if len(entries) > MAX_ENTRIES_PER_CALL:
            raise EC2ClientError(
                "InvalidParameterValue",
                f"{name} has {len(entries)} items; at most {MAX_ENTRIES_PER_CALL} are allowed",
            )


def _edited(
    entries: list[dict[str, str]], add: list[dict[str, str]], remove: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The entries after the edit; removing an absent one or adding a present one is refused."""
    present = {e["Cidr"] for e in entries}
    for entry in remove:
        if entry["Cidr"] not in present:
            raise EC2ClientError(
                "InvalidPrefixListModification", f"The entry {entry['Cidr']} does not exist."
            )
    removing = {e["Cidr"] for e in remove}
    for entry in add:
        if entry["Cidr"] in present - removing:
            raise EC2ClientError(
                "InvalidPrefixListModification",
                f"An entry with the CIDR ({entry['Cidr']}) already exists.",
            )
    return [e for e in entries if e["Cidr"] not in removing] + list(add)


def _modify_managed_prefix_list(
    self: Any,
    add_entry: list[dict[str, str]],
    remove_entry: list[dict[str, str]],
    prefix_list_id: str | None = None,
    current_version: int | None = None,
    prefix_list_name: str | None = None,
) -> Any:
    """ModifyManagedPrefixList as EC2 does it: CurrentVersion, MaxEntries, entries checked.

    NOTE: moto 5.2 ignores CurrentVersion and MaxEntries, accepts removing an absent entry or
    adding a present one, takes any number of entries, edits IPAM-managed lists, and forgets
    the list's name when the call does not repeat it.
    """
    _at_most_100(add_entry, remove_entry)
    pl = self.managed_prefix_lists.get(prefix_list_id)
    if pl is None or pl.owner_id == "AWS":
        raise EC2ClientError(
            "InvalidPrefixListID.NotFound", f"The prefix list ID '{prefix_list_id}' does not exist"
        )
    # ManagedPrefixList.IpamPrefixListResolverTargetId: "When a prefix list becomes IPAM
    # managed, its CIDRs are automatically synchronized [...] and direct CIDR modifications
    # are restricted." Error code and message UNVERIFIED.
    if (add_entry or remove_entry) and getattr(pl, IPAM_TARGET, None):
        raise EC2ClientError(
            "InvalidPrefixListModification",
            f"The prefix list {prefix_list_id} is managed by IPAM; its CIDRs cannot be modified.",
        )
    if current_version is not None and int(current_version) != pl.version:
        raise EC2ClientError(
            "PrefixListVersionMismatch", "The prefix list has the incorrect version number."
        )
    kept = _edited(list(pl.entries.get(pl.version, [])), add_entry, remove_entry)
    if pl.max_entries and len(kept) > int(pl.max_entries):
        raise EC2ClientError(
            "PrefixListMaxEntriesExceeded",
            f"The prefix list has exceeded the maximum number of entries ({pl.max_entries}).",
        )
    if remove_entry or add_entry:
        pl.version += 1
        pl.entries[pl.version] = kept
    if prefix_list_name:
        pl.prefix_list_name = prefix_list_name
    pl.state = "modify-complete"
    return pl


def make_ipam_managed(account: str, region: str, list_id: str, target: str) -> None:
    """Associate a list with an IPAM prefix list resolver target, as IPAM would (tests only)."""
    backend = ec2_backends[account][region]
    pl = backend.managed_prefix_lists[list_id]
    setattr(pl, IPAM_TARGET, target)
    setattr(pl, "ipam_prefix_list_resolver_sync_enabled", True)  # noqa: B010  # not a moto field


PATCHES: list[tuple[type, str, Callable[..., Any]]] = [
    (ManagedPrefixListBackend, "modify_managed_prefix_list", _modify_managed_prefix_list),
    # NOTE: moto 5.2 ignores MaxResults/NextToken on both.
    (
        VPCs,
        "describe_managed_prefix_lists",
        paginated(VPCs.describe_managed_prefix_lists, "PrefixLists"),
    ),
    (
        VPCs,
        "get_managed_prefix_list_entries",
        paginated(VPCs.get_managed_prefix_list_entries, "Entries"),
    ),
]
