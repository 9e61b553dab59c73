"""Security-group rules: listed page by page, changed in place or authorized and revoked."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sgupdater._types import AccountId, Cidr, EntryId
from sgupdater.kinds.common import ALLOWS, named
from sgupdater.kinds.interface import Batch, KindScan, Reading, Safety, Switch, Traits
from sgupdater.kinds.security_groups import apply as sg_apply
from sgupdater.kinds.security_groups.read import NAME, SERVICE, rule_cidr, rule_key, rules_of_groups
from sgupdater.kinds.security_groups.recorded import RECORDED
from sgupdater.models import Change, Current, Entry, Outcome
from sgupdater.scope import Scope, tags_of

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client


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


def _relevant_rules(client: EC2Client, reading: Reading) -> list[tuple[Any, Cidr]]:
    # Only rules whose CIDR matters are kept, so memory follows the matches, not the account.
    scope = reading.scope
    paginator = client.get_paginator("describe_security_group_rules")
    filters: list[Any] = []
    if scope.group_ids:
        filters.append({"Name": "group-id", "Values": sorted(scope.group_ids)})
    kept: list[tuple[Any, Cidr]] = []
    for page in paginator.paginate(Filters=filters, PaginationConfig={"PageSize": scope.page_size}):
        for raw in page.get("SecurityGroupRules", []):
            cidr = rule_cidr(raw)
            if cidr is not None and reading.relevant(cidr):
                kept.append((raw, cidr))
    return kept


def _rule(raw: Any, cidr: Cidr, info: _GroupInfo, reading: Reading) -> Entry:
    group_id, traffic = rule_key(raw)
    return Entry(
        kind=NAME,
        account=info.owner,
        region=reading.target.region,
        container_id=group_id,
        container_name=info.name,
        cidr=cidr,
        entry_id=EntryId(raw["SecurityGroupRuleId"]),
        traffic=traffic,
        description=raw.get("Description") or None,
        vpc_id=info.vpc_id,
        managed=info.managed,
        tags=tuple(sorted(tags_of(raw).items())),
    )


class SecurityGroups:
    """Security-group rules: the kind every run searches."""

    name = NAME
    service = SERVICE
    allowances: tuple[Switch, ...] = ()
    switch: Switch | None = None
    traits = Traits(counted=True, container="security group")
    recorded = RECORDED

    def scan(self, client: EC2Client, reading: Reading) -> KindScan:
        """Every rule of the target's groups in scope whose CIDR is relevant."""
        if reading.side is not None:
            # The two listings do not depend on each other: overlapping them takes one round
            # trip off every target's chain of calls.
            pending = reading.side.submit(_relevant_rules, client, reading)
            groups = _list_groups(client, reading.scope)
            raw_rules = pending.result()
        else:
            groups = _list_groups(client, reading.scope)
            raw_rules = _relevant_rules(client, reading)
        account = next((g.owner for g in groups.values() if g.owner), None)
        rules = tuple(
            _rule(raw, cidr, groups[raw["GroupId"]], reading)
            for raw, cidr in raw_rules
            if raw.get("GroupId") in groups
        )
        return KindScan(rules, containers=len(groups), account=account)

    def current(
        self, client: EC2Client, container_ids: Sequence[str], scope: Scope
    ) -> Iterator[Current]:
        """The CIDR and prefix-list rules of these groups as they are now."""
        for raw in rules_of_groups(client, container_ids, scope.page_size):
            cidr = rule_cidr(raw)
            # A rule pointing at a prefix list is compared by the list's id (migrate).
            allows = str(cidr) if cidr is not None else raw.get("PrefixListId")
            if allows:
                rule_id, described = raw["SecurityGroupRuleId"], raw.get("Description")
                yield Current(rule_id, rule_key(raw), allows, described)

    def apply(self, client: EC2Client, batch: Batch) -> dict[int, Outcome]:
        """Modify in one call, then authorize, then revoke: the order that never cuts access."""
        return sg_apply.apply_group(client, batch)

    def safety(self, rule: Entry) -> Safety:
        """Entries only allow: removing one never lets more in; they govern traffic, not calls."""
        return ALLOWS

    def cost(self, change: Change) -> int:
        """No size quota: the room a list or group has left is counted by entries."""
        return 0

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """A group as its id and name."""
        return named(ident, name)


KIND = SecurityGroups()
