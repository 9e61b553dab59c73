"""Network ACL entries: read those naming a CIDR, replace them keeping number, action and ports."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from sgupdater._types import AccountId, Cidr, GroupId, Region, RuleId
from sgupdater.cidrs import normalise
from sgupdater.models import Change, Current, Outcome, Rule, Skipped
from sgupdater.scanner import Scope, normalise_protocol, tags_of
from sgupdater.sending import Indexed, Recorder, Sender

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

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


def _rule(acl: Any, raw: Any, cidr: Cidr, region: str, managed: str) -> Rule:
    protocol = normalise_protocol(str(raw.get("Protocol", "-1")))
    low, high = _ports(raw, protocol)
    tags = tags_of(acl)
    return Rule(
        account=AccountId(acl.get("OwnerId", "")),
        region=Region(region),
        vpc_id=acl.get("VpcId", ""),
        group_id=GroupId(acl["NetworkAclId"]),
        group_name=tags.get("Name", "default" if acl.get("IsDefault") else ""),
        rule_id=RuleId(str(raw["RuleNumber"])),
        direction="egress" if raw.get("Egress") else "ingress",
        protocol=protocol,
        from_port=low,
        to_port=high,
        cidr=cidr,
        kind="nacl",
        rule_action=str(raw.get("RuleAction", "")),
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


def scan(
    client: EC2Client, region: str, scope: Scope, relevant: Callable[[Cidr], bool]
) -> list[Rule]:
    """Every entry of the ACLs in scope whose CIDR is relevant."""
    found: list[Rule] = []
    for acl in _acls(client, scope):
        tags = tags_of(acl)
        if not scope.wants(tags):
            continue
        managed = scope.managed_by(tags)
        found.extend(
            _rule(acl, raw, cidr, region, managed) for raw, cidr in _entries(acl) if relevant(cidr)
        )
    return found


def current(client: EC2Client, ids: Iterable[str]) -> Iterator[Current]:
    """The entries of these ACLs as they are now."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    for acl in _acls(client, Scope(), wanted):
        for raw, cidr in _entries(acl):
            rule = _rule(acl, raw, cidr, "", "")
            yield Current(rule.rule_id, rule.key, str(cidr), None, rule.rule_action)


def _entry(change: Change, cidr: Cidr) -> dict[str, Any]:
    rule = change.rule
    entry: dict[str, Any] = {
        "NetworkAclId": rule.group_id,
        "RuleNumber": int(rule.rule_id),
        "Protocol": _NUMBERS.get(rule.protocol, rule.protocol),
        "RuleAction": rule.rule_action,
        "Egress": rule.direction == "egress",
        "CidrBlock" if cidr.version == 4 else "Ipv6CidrBlock": str(cidr),
    }
    if rule.protocol in ("icmp", "icmpv6"):
        entry["IcmpTypeCode"] = {"Type": rule.from_port, "Code": rule.to_port}
    elif rule.protocol in ("tcp", "udp"):
        entry["PortRange"] = {"From": rule.from_port, "To": rule.to_port}
    return entry


def apply_entries(
    client: EC2Client,
    acl_id: str,
    batch: Indexed,
    record: Recorder | None,
    stop: threading.Event | None,
) -> dict[int, Outcome]:
    """Replace, delete or re-create each entry: EC2 has one call per entry."""
    run = Sender(acl_id, record, stop)
    for index, change in batch:
        one = [(index, change)]
        rule, new = change.rule, change.new_cidr
        if change.action == "modify" and new is not None:
            replace = partial(client.replace_network_acl_entry, **_entry(change, new))
            run.call("ReplaceNetworkAclEntry", one, replace)
        elif change.action == "authorize" and new is not None:
            create = partial(client.create_network_acl_entry, **_entry(change, new))
            run.call("CreateNetworkAclEntry", one, create)
        elif change.action == "revoke":
            delete = partial(
                client.delete_network_acl_entry,
                NetworkAclId=acl_id,
                RuleNumber=int(rule.rule_id),
                Egress=rule.direction == "egress",
            )
            run.call("DeleteNetworkAclEntry", one, delete)
        else:
            run.settle(one, Skipped(f"{change.action} does not apply to a network ACL entry"))
    return run.outcomes
