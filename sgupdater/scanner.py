"""List the security groups and CIDR rules of one target, page by page."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sgupdater._types import AccountId, Cidr, Direction, GroupId, RuleId
from sgupdater.cidrs import normalise
from sgupdater.models import Current, PortKey, Rule, Scan, Target

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

MAX_PAGE_SIZE = 1000

# AWS accepts protocol numbers and names; compare rules by one spelling.
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


# A tag condition: (key, value), where a value of None matches any value of the key.
TagCondition = tuple[str, str | None]

# Tags that say a resource belongs to infrastructure as code, beside CloudFormation's own.
DEFAULT_MANAGED_TAGS: tuple[TagCondition, ...] = (
    ("managed-by", None),
    ("ManagedBy", None),
    ("managed_by", None),
)
_CLOUDFORMATION = "aws:cloudformation:"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which groups of a target to look at."""

    group_ids: frozenset[str] = frozenset()
    vpc_ids: frozenset[str] = frozenset()
    include_tags: frozenset[TagCondition] = frozenset()
    exclude_tags: frozenset[TagCondition] = frozenset()
    page_size: int = MAX_PAGE_SIZE
    prefix_lists: bool = False
    nacls: bool = False
    managed_tags: tuple[TagCondition, ...] = DEFAULT_MANAGED_TAGS

    def wants(self, tags: dict[str, str]) -> bool:
        """True when a group with these tags passes the tag filters."""

        def holds(condition: TagCondition) -> bool:
            key, value = condition
            return key in tags and (value is None or tags[key] == value)

        return all(map(holds, self.include_tags)) and not any(map(holds, self.exclude_tags))

    def managed_by(self, tags: dict[str, str]) -> str:
        """Why a resource with these tags is managed by IaC ("" when it is not)."""
        if any(key.startswith(_CLOUDFORMATION) for key in tags):
            stack = tags.get(_CLOUDFORMATION + "stack-name")
            return f"cloudformation:{stack}" if stack else "cloudformation"
        for key, value in self.managed_tags:
            if key in tags and (value is None or tags[key] == value):
                return f"{key}={tags[key]}"
        return ""


def tags_of(resource: Any) -> dict[str, str]:
    """A described resource's tags as a dict."""
    return {t["Key"]: t.get("Value", "") for t in resource.get("Tags", [])}


def normalise_protocol(protocol: str) -> str:
    """One spelling per protocol: tcp, udp, icmp, icmpv6, -1 or the number."""
    lowered = protocol.lower()
    return _PROTOCOL_NAMES.get(lowered, lowered)


@dataclass(frozen=True, slots=True)
class _GroupInfo:
    name: str
    vpc_id: str
    owner: AccountId
    managed: str


def _group_filters(scope: Scope) -> list[Any]:
    filters: list[Any] = []
    if scope.group_ids:
        filters.append({"Name": "group-id", "Values": sorted(scope.group_ids)})
    if scope.vpc_ids:
        filters.append({"Name": "vpc-id", "Values": sorted(scope.vpc_ids)})
    return filters


def _list_groups(client: EC2Client, scope: Scope) -> dict[str, _GroupInfo]:
    paginator = client.get_paginator("describe_security_groups")
    pages = paginator.paginate(
        Filters=_group_filters(scope), PaginationConfig={"PageSize": scope.page_size}
    )
    groups: dict[str, _GroupInfo] = {}
    for page in pages:
        for group in page.get("SecurityGroups", []):
            tags = tags_of(group)
            if not scope.wants(tags):
                continue
            groups[group["GroupId"]] = _GroupInfo(
                name=group.get("GroupName", ""),
                vpc_id=group.get("VpcId", ""),
                owner=AccountId(group.get("OwnerId", "")),
                managed=scope.managed_by(tags),
            )
    return groups


def _rule_cidr(raw: Any) -> Cidr | None:
    text = raw.get("CidrIpv4") or raw.get("CidrIpv6")
    return normalise(text) if text else None


def _relevant_rules(
    client: EC2Client, scope: Scope, relevant: Callable[[Cidr], bool]
) -> list[tuple[Any, Cidr]]:
    # Only rules whose CIDR matters are kept, so memory follows the matches, not the account.
    paginator = client.get_paginator("describe_security_group_rules")
    filters: list[Any] = []
    if scope.group_ids:
        filters.append({"Name": "group-id", "Values": sorted(scope.group_ids)})
    kept: list[tuple[Any, Cidr]] = []
    for page in paginator.paginate(Filters=filters, PaginationConfig={"PageSize": scope.page_size}):
        for raw in page.get("SecurityGroupRules", []):
            cidr = _rule_cidr(raw)
            if cidr is not None and relevant(cidr):
                kept.append((raw, cidr))
    return kept


def _rule(raw: Any, cidr: Cidr, info: _GroupInfo, target: Target) -> Rule:
    group_id, direction, protocol, from_port, to_port = rule_key(raw)
    return Rule(
        account=info.owner,
        region=target.region,
        vpc_id=info.vpc_id,
        group_id=group_id,
        group_name=info.name,
        rule_id=RuleId(raw["SecurityGroupRuleId"]),
        direction=direction,
        protocol=protocol,
        from_port=from_port,
        to_port=to_port,
        cidr=cidr,
        description=raw.get("Description") or None,
        managed=info.managed,
    )


def scan(
    client: EC2Client,
    target: Target,
    scope: Scope,
    relevant: Callable[[Cidr], bool],
    *,
    overlap: bool = True,
) -> Scan:
    """Every rule of the target's groups in scope whose CIDR is relevant."""
    if overlap:
        # The two listings do not depend on each other: overlapping them takes one round trip
        # off every target's chain of calls.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_relevant_rules, client, scope, relevant)
            groups = _list_groups(client, scope)
            raw_rules = pending.result()
    else:
        groups = _list_groups(client, scope)
        raw_rules = _relevant_rules(client, scope, relevant)
    account = next((g.owner for g in groups.values() if g.owner), None)
    rules = [
        _rule(raw, cidr, groups[raw["GroupId"]], target)
        for raw, cidr in raw_rules
        if raw.get("GroupId") in groups
    ]
    return Scan(target=target, account=account, groups_scanned=len(groups), rules=tuple(rules))


def rules_of_groups(client: EC2Client, group_ids: Sequence[str], page_size: int) -> Iterator[Any]:
    """Every rule of these groups, as DescribeSecurityGroupRules returns it."""
    paginator = client.get_paginator("describe_security_group_rules")
    for start in range(0, len(group_ids), 200):
        # EC2 takes at most 200 values in one filter.
        chunk = sorted(group_ids)[start : start + 200]
        pages = paginator.paginate(
            Filters=[{"Name": "group-id", "Values": chunk}],
            PaginationConfig={"PageSize": page_size},
        )
        for page in pages:
            yield from page.get("SecurityGroupRules", [])


def rule_key(raw: Any) -> PortKey:
    """Group, direction, protocol and ports of a described rule."""
    direction: Direction = "egress" if raw.get("IsEgress") else "ingress"
    protocol = normalise_protocol(str(raw.get("IpProtocol", "-1")))
    low, high = int(raw.get("FromPort", -1)), int(raw.get("ToPort", -1))
    return (GroupId(raw["GroupId"]), direction, protocol, low, high)


def current_rules(client: EC2Client, group_ids: Sequence[str], page_size: int) -> list[Current]:
    """The CIDR and prefix-list rules of these groups as they are now (for the checks)."""
    found: list[Current] = []
    for raw in rules_of_groups(client, group_ids, page_size):
        cidr = _rule_cidr(raw)
        # A rule pointing at a prefix list is compared by the list's id (migrate).
        allows = str(cidr) if cidr is not None else raw.get("PrefixListId")
        if allows:
            key = rule_key(raw)
            found.append(Current(raw["SecurityGroupRuleId"], key, allows, raw.get("Description")))
    return found
