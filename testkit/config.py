"""AWS Config advanced queries in the local endpoint: the one query shape --inventory sends.

moto 5.2 has no SelectAggregateResourceConfig. This answers it from the EC2 fleet the endpoint
holds, as an aggregator would, for exactly the shape `sgupdater.engine.inventory.queries`
writes (named top-level fields, one resource type, one cidr_block property BETWEEN two
addresses) and refuses every other expression, so a query the tool changes cannot pass here
untested. Config records changes minutes after they happen: the fleet is recorded when the
aggregator is put (PutConfigurationAggregator), and again each time it is put; a change made
after that is missing from the answers until then, as a stale inventory misses it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from moto.config.exceptions import (
    InvalidLimitException,
    InvalidNextTokenException,
    NoSuchConfigurationAggregatorException,
)
from moto.config.models import ConfigBackend
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError
from moto.ec2.models import ec2_backends

_original_put = ConfigBackend.put_configuration_aggregator
_lock = threading.Lock()
# (account, region, aggregator) -> the records captured when it was last put.
_recorded: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
# Expression (service model): "max": 4096, "min": 1.
MAX_EXPRESSION = 4096
# Limit (service model): "max": 100; without Limit or MaxResults a non-aggregation query
# pages by 25 ("the default page size is set to 25", SelectAggregateResourceConfig).
MAX_LIMIT, DEFAULT_LIMIT = 100, 25
# ConfigurationAggregatorName (service model): 1 to 256, pattern [\w\-]+.
_NAME = re.compile(r"[\w\-]{1,256}")
_FIELDS = {
    "accountId", "awsRegion", "resourceType", "resourceId", "resourceName",
    "configurationItemCaptureTime", "configuration", "tags",
}  # fmt: skip
_SHAPE = re.compile(
    r"SELECT (?P<fields>[\w, ]+) WHERE resourceType = '(?P<type>[\w:]+)' "
    r"AND (?P<property>[\w.]+) BETWEEN '(?P<first>[0-9a-fA-F:.]+)' AND '(?P<last>[0-9a-fA-F:.]+)'"
)
# The properties of type cidr_block of each resource type (aws-config-resource-schema).
_CIDR_PROPERTIES = {
    "AWS::EC2::SecurityGroup": {
        f"configuration.{side}.{leaf}"
        for side in ("ipPermissions", "ipPermissionsEgress")
        for leaf in ("ipRanges", "ipv4Ranges.cidrIp", "ipv6Ranges.cidrIpv6")
    },
    "AWS::EC2::NetworkAcl": {
        "configuration.entries.cidrBlock",
        "configuration.entries.ipv6CidrBlock",
    },
    "AWS::EC2::PrefixList": {"configuration.Entries.Cidr"},
}


class _InvalidExpression(JsonRESTError):
    def __init__(self, message: str) -> None:
        # SelectAggregateResourceConfig's errors (service model) name InvalidExpressionException.
        super().__init__("InvalidExpressionException", message)


def _tags(resource: Any) -> list[dict[str, str]]:
    # Advanced query answers tags as {"key", "value", "tag"} (aws-config-resource-schema).
    return [
        {"key": t["key"], "value": t["value"], "tag": f"{t['key']}={t['value']}"}
        for t in resource.get_tags()
    ]


def _permission(rule: Any) -> dict[str, Any]:
    cidr4, cidr6 = rule.ip_range.get("CidrIp"), rule.ip_range.get("CidrIpv6")
    described = (
        {"description": rule.ip_range["Description"]} if "Description" in rule.ip_range else {}
    )
    found: dict[str, Any] = {"ipProtocol": rule.ip_protocol or "-1", "ipRanges": [],
                             "ipv4Ranges": [], "ipv6Ranges": []}  # fmt: skip
    if rule.from_port is not None:
        found.update(fromPort=rule.from_port, toPort=rule.to_port)
    if cidr4:
        found["ipRanges"].append(cidr4)
        found["ipv4Ranges"].append({"cidrIp": cidr4, **described})
    if cidr6:
        found["ipv6Ranges"].append({"cidrIpv6": cidr6, **described})
    return found


def _groups(backend: Any) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    for group in backend.describe_security_groups():
        yield "AWS::EC2::SecurityGroup", group.id, {
            "groupId": group.id, "groupName": group.name, "description": group.description,
            "vpcId": group.vpc_id, "ownerId": group.owner_id,
            "ipPermissions": [_permission(r) for r in group.ingress_rules],
            "ipPermissionsEgress": [_permission(r) for r in group.egress_rules],
        }, group  # fmt: skip


def _acls(backend: Any) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    for acl in backend.describe_network_acls():
        entries = []
        for e in acl.network_acl_entries:
            egress = str(e.egress).lower() == "true"
            entry = {"ruleNumber": int(e.rule_number), "protocol": str(e.protocol),
                     "ruleAction": e.rule_action, "egress": egress}  # fmt: skip
            if e.cidr_block:
                entry["cidrBlock"] = e.cidr_block
            if e.ipv6_cidr_block:
                entry["ipv6CidrBlock"] = e.ipv6_cidr_block
            if e.port_range_from is not None:
                entry["portRange"] = {"from": int(e.port_range_from), "to": int(e.port_range_to)}
            entries.append(entry)
        yield "AWS::EC2::NetworkAcl", acl.id, {
            "networkAclId": acl.id, "vpcId": acl.vpc_id, "ownerId": acl.owner_id,
            "isDefault": str(acl.default).lower() == "true", "entries": entries,
        }, acl  # fmt: skip


def _lists(backend: Any) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    for pl in backend.describe_managed_prefix_lists():
        if pl.owner_id == "aws":
            continue
        entries = pl.entries.get(pl.version, [])
        yield "AWS::EC2::PrefixList", pl.id, {
            "PrefixListId": pl.id, "PrefixListName": pl.prefix_list_name,
            "AddressFamily": pl.address_family, "MaxEntries": int(pl.max_entries or 0),
            "OwnerId": pl.owner_id, "Entries": [dict(e) for e in entries],
        }, pl  # fmt: skip


def _sources(aggregator: Any) -> Iterator[tuple[str, str]]:
    """The (account, region) pairs an aggregator gathers, among those the endpoint holds."""
    org = aggregator.organization_aggregation_source
    accounts: set[str] | None = None
    regions: set[str] | None = None
    if org is None:
        accounts, regions = set(), set()
        for source in aggregator.account_aggregation_sources or ():
            accounts.update(source.account_ids or ())
            if source.all_aws_regions:
                regions = None
            elif regions is not None:
                regions.update(source.aws_regions or ())
    elif not org.all_aws_regions:
        regions = set(org.aws_regions or ())
    for account in list(ec2_backends.keys()):
        if accounts is not None and account not in accounts:
            continue
        for region in list(ec2_backends[account].keys()):
            if regions is None or region in regions:
                yield account, region


def _capture(aggregator: Any) -> list[dict[str, Any]]:
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    records = []
    for account, region in _sources(aggregator):
        backend = ec2_backends[account][region]
        for listing in (_groups, _acls, _lists):
            for kind, resource_id, configuration, resource in listing(backend):
                records.append({
                    "accountId": account, "awsRegion": region, "resourceType": kind,
                    "resourceId": resource_id, "resourceName": resource_id,
                    "configurationItemCaptureTime": now, "configuration": configuration,
                    "tags": _tags(resource),
                })  # fmt: skip
    return records


def _put(self: ConfigBackend, given: dict[str, Any]) -> Any:
    """PutConfigurationAggregator, recording the fleet it gathers as of now."""
    answer = _original_put(self, given)
    name = given["ConfigurationAggregatorName"]
    records = _capture(self.config_aggregators[name])
    with _lock:
        _recorded[(self.account_id, self.region_name, name)] = records
    return answer


def _values(item: Any, path: list[str]) -> Iterator[str]:
    """The values at a dotted path, arrays walked: "matches are computed against all the
    array elements" (Config Developer Guide, advanced query limitations)."""
    if isinstance(item, list):
        for element in item:
            yield from _values(element, path)
    elif not path:
        if isinstance(item, str):
            yield item
    elif isinstance(item, dict) and path[0] in item:
        yield from _values(item[path[0]], path[1:])


def _overlaps(text: str, first: Any, last: Any) -> bool:
    # "CIDR notation is converted to IP ranges for search. This means that "=" and "BETWEEN"
    # search for any range that includes the provided IP" (advanced query limitations).
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    if network.version != first.version:
        return False
    return bool(network.network_address <= last and first <= network.broadcast_address)


def _parsed(expression: str) -> tuple[list[str], str, str, Any, Any]:
    if not 1 <= len(expression) <= MAX_EXPRESSION:
        raise _InvalidExpression(f"Expression: {len(expression)} characters; 1 to 4096 allowed")
    found = _SHAPE.fullmatch(expression)
    if found is None:
        raise _InvalidExpression(
            "the local endpoint answers only SELECT fields WHERE resourceType = '...' AND "
            "property BETWEEN 'address' AND 'address'"
        )
    fields = [f.strip() for f in found["fields"].split(",")]
    unknown = [f for f in fields if f not in _FIELDS]
    kind, prop = found["type"], found["property"]
    if unknown or prop not in _CIDR_PROPERTIES.get(kind, ()):
        raise _InvalidExpression(f"not answered here: {unknown or prop}")
    try:
        first, last = ipaddress.ip_address(found["first"]), ipaddress.ip_address(found["last"])
    except ValueError as exc:
        raise _InvalidExpression(str(exc)) from None
    return fields, kind, prop, first, last


def select_aggregate_resource_config(self: ConfigResponse) -> str:
    """SelectAggregateResourceConfig for --inventory's one query shape, paginated."""
    body = json.loads(self.body or "{}")
    name = str(body.get("ConfigurationAggregatorName", ""))
    if not _NAME.fullmatch(name):
        raise _InvalidExpression(f"ConfigurationAggregatorName {name!r}: 1 to 256 of [\\w\\-]")
    limit = body.get("Limit") or body.get("MaxResults") or 0
    if not 0 <= int(limit) <= MAX_LIMIT:
        raise InvalidLimitException(int(limit))
    backend = self.config_backend
    if name not in backend.config_aggregators:
        raise NoSuchConfigurationAggregatorException()
    fields, kind, prop, first, last = _parsed(str(body.get("Expression", "")))
    with _lock:
        records = list(_recorded.get((backend.account_id, backend.region_name, name), ()))
    path = prop.split(".")
    matched = [
        r for r in records
        if r["resourceType"] == kind and any(_overlaps(v, first, last) for v in _values(r, path))
    ]  # fmt: skip
    token = str(body.get("NextToken") or "0")
    if not token.isdigit() or int(token) > len(matched):
        raise InvalidNextTokenException()
    start, size = int(token), int(limit) or DEFAULT_LIMIT
    page = matched[start : start + size]
    answer: dict[str, Any] = {
        "Results": [json.dumps({f: r[f] for f in fields}) for r in page],
        "QueryInfo": {"SelectFields": [{"Name": f} for f in fields]},
    }
    if start + size < len(matched):
        answer["NextToken"] = str(start + size)
    return json.dumps(answer)


def reset() -> None:
    """Forget every recorded fleet."""
    with _lock:
        _recorded.clear()


PATCHES: list[tuple[Any, str, Any]] = [
    (ConfigBackend, "put_configuration_aggregator", _put),
    (ConfigResponse, "select_aggregate_resource_config", select_aggregate_resource_config),
]
