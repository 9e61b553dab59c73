"""Network ACL entries: read those naming a CIDR, replace them keeping number, action and ports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from sgupdater._types import AccountId, Cidr, ContainerId, Direction, EntryId, KindName, Region
from sgupdater.cidrs import normalise
from sgupdater.kinds.common import ALLOWS, named, normalise_protocol
from sgupdater.kinds.interface import (
    Batch,
    KindError,
    KindScan,
    Reading,
    Record,
    Recorded,
    Safety,
    Switch,
    Traits,
)
from sgupdater.kinds.sending import Sender
from sgupdater.models import Change, Current, Entry, Outcome, Skipped, Traffic
from sgupdater.scope import Scope, tags_of

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

NAME = KindName("nacl")
# 32767 (IPv4) and 32768 (IPv6) are the "*" entries every ACL ends with; they cannot change.
LAST_RULE_NUMBER = 32766
_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}


def _ports(raw: Any, protocol: str) -> tuple[int, int]:
    if protocol in ("icmp", "icmpv6"):
        icmp = raw.get("IcmpTypeCode") or {}
        return int(icmp.get("Type", -1)), int(icmp.get("Code", -1))
    span = raw.get("PortRange") or {}
    return int(span.get("From", -1)), int(span.get("To", -1))


def _entries(acl: Any) -> Iterator[tuple[Any, Cidr]]:
    for raw in acl.get("Entries", []):
        cidr = normalise(raw.get("CidrBlock") or raw.get("Ipv6CidrBlock") or "")
        if cidr is not None and int(raw.get("RuleNumber", 0)) <= LAST_RULE_NUMBER:
            yield raw, cidr


def _rule(acl: Any, raw: Any, cidr: Cidr, region: str, managed: str) -> Entry:
    protocol = normalise_protocol(str(raw.get("Protocol", "-1")))
    low, high = _ports(raw, protocol)
    tags = tags_of(acl)
    direction: Direction = "egress" if raw.get("Egress") else "ingress"
    return Entry(
        kind=NAME,
        account=AccountId(acl.get("OwnerId", "")),
        region=Region(region),
        container_id=ContainerId(acl["NetworkAclId"]),
        container_name=tags.get("Name", "default" if acl.get("IsDefault") else ""),
        cidr=cidr,
        entry_id=EntryId(str(raw["RuleNumber"])),
        traffic=Traffic(direction, protocol, low, high, str(raw.get("RuleAction", ""))),
        vpc_id=acl.get("VpcId", ""),
        managed=managed,
    )


def _acls(client: EC2Client, scope: Scope, ids: Iterable[str] = ()) -> Iterator[Any]:
    paginator = client.get_paginator("describe_network_acls")
    query: dict[str, Any] = {"PaginationConfig": {"PageSize": scope.page_size}}
    if ids:
        query["NetworkAclIds"] = sorted(ids)
    elif scope.vpc_ids:
        query["Filters"] = [{"Name": "vpc-id", "Values": sorted(scope.vpc_ids)}]
    for page in paginator.paginate(**query):
        yield from page.get("NetworkAcls", [])


def _entry(change: Change, cidr: Cidr) -> dict[str, Any]:
    rule, traffic = change.entry, change.entry.traffic
    if traffic is None:
        raise KindError(f"ACL entry {rule.entry_id} has no traffic", code="MalformedChange")
    entry: dict[str, Any] = {
        "NetworkAclId": rule.container_id,
        "RuleNumber": int(rule.entry_id),
        "Protocol": _NUMBERS.get(traffic.protocol, traffic.protocol),
        "RuleAction": traffic.action,
        "Egress": traffic.direction == "egress",
        "CidrBlock" if cidr.version == 4 else "Ipv6CidrBlock": str(cidr),
    }
    if traffic.protocol in ("icmp", "icmpv6"):
        entry["IcmpTypeCode"] = {"Type": traffic.from_port, "Code": traffic.to_port}
    elif traffic.protocol in ("tcp", "udp"):
        entry["PortRange"] = {"From": traffic.from_port, "To": traffic.to_port}
    return entry


def _pascal(value: Any) -> Any:
    """A Config record's camelCase keys as DescribeNetworkAcls spells them (CidrBlock)."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: _pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_pascal(item) for item in value]
    return value


def _recorded_entries(record: Record, scope: Scope) -> Iterator[Entry]:
    # AWS::EC2::NetworkAcl records the configuration as DescribeNetworkAcls describes an ACL,
    # in camelCase (aws-config-resource-schema: configuration.entries.cidrBlock, ...).
    acl = _pascal(dict(record.configuration))
    acl.setdefault("NetworkAclId", record.resource_id)
    acl.setdefault("OwnerId", record.account)
    acl["Tags"] = [{"Key": k, "Value": v} for k, v in record.tags.items()]
    if scope.vpc_ids and acl.get("VpcId") not in scope.vpc_ids:
        return
    if not scope.wants(dict(record.tags)):
        return
    managed = scope.managed_by(dict(record.tags))
    for raw, cidr in _entries(acl):
        yield _rule(acl, raw, cidr, record.region, managed)


# Of type cidr_block in AWS::EC2::NetworkAcl.properties.json (aws-config-resource-schema).
RECORDED = Recorded(
    "AWS::EC2::NetworkAcl",
    (
        ("configuration.entries.cidrBlock", 4, None),
        ("configuration.entries.ipv6CidrBlock", 6, None),
    ),
    _recorded_entries,
)


class NetworkAcls:
    """Network ACL entries (`--nacls`): ordered by number, so only ever replaced in place."""

    name = NAME
    service = "ec2"
    # add has no "beside" for an entry its rule number orders: it does not take the flag.
    switch = Switch(
        "nacls", "--nacls", "Also network ACL entries.", commands=("show", "update", "remove")
    )
    allowances: tuple[Switch, ...] = ()
    traits = Traits(in_place_only=True, keeps_denies=True, container="network ACL")
    recorded = RECORDED

    def scan(self, client: EC2Client, reading: Reading) -> KindScan:
        """Every entry of the ACLs in scope whose CIDR is relevant."""
        found: list[Entry] = []
        for acl in _acls(client, reading.scope):
            tags = tags_of(acl)
            if not reading.scope.wants(tags):
                continue
            managed = reading.scope.managed_by(tags)
            region = reading.target.region
            found.extend(
                _rule(acl, raw, cidr, region, managed)
                for raw, cidr in _entries(acl)
                if reading.relevant(cidr)
            )
        return KindScan(tuple(found))

    def current(
        self, client: EC2Client, container_ids: Sequence[str], scope: Scope
    ) -> Iterator[Current]:
        """The entries of these ACLs as they are now."""
        for acl in _acls(client, Scope(), container_ids):
            for raw, cidr in _entries(acl):
                rule = _rule(acl, raw, cidr, "", "")
                yield Current(rule.entry_id, rule.key, str(cidr), None)

    def apply(self, client: EC2Client, batch: Batch) -> dict[int, Outcome]:
        """Replace, delete or re-create each entry: EC2 has one call per entry."""
        run = Sender(batch)
        for index, change in batch.changes:
            one = [(index, change)]
            rule, new = change.entry, change.new_cidr
            if change.action == "modify" and new is not None:
                replace = partial(client.replace_network_acl_entry, **_entry(change, new))
                run.call("ReplaceNetworkAclEntry", one, replace)
            elif change.action == "authorize" and new is not None:
                create = partial(client.create_network_acl_entry, **_entry(change, new))
                run.call("CreateNetworkAclEntry", one, create)
            elif change.action == "revoke":
                delete = partial(
                    client.delete_network_acl_entry,
                    NetworkAclId=batch.container_id,
                    RuleNumber=int(rule.entry_id),
                    Egress=rule.direction == "egress",
                )
                run.call("DeleteNetworkAclEntry", one, delete)
            else:
                run.settle(one, Skipped(f"{change.action} does not apply to a network ACL entry"))
        return run.outcomes

    def safety(self, rule: Entry) -> Safety:
        """A deny entry restricts: deleting it would let the range in. It follows the range."""
        if rule.traffic is None or rule.traffic.action != "allow":
            return Safety(restricts=f"a deny entry (#{rule.entry_id})")
        return ALLOWS

    def cost(self, change: Change) -> int:
        """Replaced in place by number: no quota to spend."""
        return 0

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """An ACL with the entry's number and action."""
        return f"NACL {named(ident, name)} #{rule_id} {action}"


KIND = NetworkAcls()
