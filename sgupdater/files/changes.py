"""The change records plan files and journals share: written, and read back with every field
checked (the same guards as the command line: allowed values, families, the open-world guard).
"""

from __future__ import annotations

from typing import TypedDict, cast

from sgupdater import kinds
from sgupdater._types import AccountId, Action, Cidr, ContainerId, EntryId, Region
from sgupdater.errors import InputError
from sgupdater.files.fields import Fields
from sgupdater.models import (
    Change,
    ContainerRef,
    Credentials,
    Entry,
    Target,
    Traffic,
)

PLAN_ACTIONS = ("modify", "authorize", "revoke", "create")


JOURNAL_ACTIONS = (*PLAN_ACTIONS, "delete")


# The actions whose new CIDR a change makes a container allow.
_ALLOWING = ("modify", "authorize", "create")


_PROTOCOL = r"tcp|udp|icmp|icmpv6|-1|[0-9]{1,3}"


_ACCOUNT = r"[0-9]{12}"


_REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"


_ROLE_ARN = r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}"


_SESSION = r"[\w+=,.@-]{2,64}"


_LIST_ID = r"pl-[0-9a-f]{8,17}"


class _RuleFields(TypedDict):
    """An entry's fields every version-1 record has."""

    rule_id: str
    group_id: str
    group_name: str
    vpc_id: str
    direction: str
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    description: str | None
    kind: str
    rule_action: str
    managed: str


class RuleRecord(_RuleFields, total=False):
    """An entry as plan files and journals store it; tags are absent from older records."""

    tags: list[list[str]]


class ListRecord(TypedDict):
    """The prefix list a change creates, deletes or points a rule at."""

    name: str
    id: str
    max_entries: int


class CredentialsRecord(TypedDict, total=False):
    """How a journal line or plan file names a target's credentials (never secrets)."""

    profile: str | None
    role_arn: str | None
    external_id: str | None
    session_name: str


class ChangeRecord(TypedDict):
    """One change of a plan file."""

    action: str
    rule: RuleRecord
    new_cidr: str | None
    prefix_list: ListRecord | None
    reason: str


def rule_record(rule: Entry) -> RuleRecord:
    """The stored copy of an entry."""
    traffic = rule.traffic or Traffic("ingress", "-1")
    record = RuleRecord(
        rule_id=rule.entry_id,
        group_id=rule.container_id,
        group_name=rule.container_name,
        vpc_id=rule.vpc_id,
        direction=traffic.direction,
        protocol=traffic.protocol,
        from_port=traffic.from_port,
        to_port=traffic.to_port,
        cidr=str(rule.cidr),
        description=rule.description,
        kind=rule.kind,
        rule_action=traffic.action,
        managed=rule.managed,
    )
    if rule.tags:
        record["tags"] = [[key, value] for key, value in rule.tags]
    return record


def list_record(ref: ContainerRef | None) -> ListRecord | None:
    """The stored copy of a change's prefix list."""
    if ref is None:
        return None
    return ListRecord(name=ref.name, id=ref.id, max_entries=ref.max_entries)


def credentials_record(creds: Credentials) -> CredentialsRecord:
    """The record of a target's credentials."""
    return CredentialsRecord(
        profile=creds.profile,
        role_arn=creds.role_arn,
        external_id=creds.external_id,
        session_name=creds.session_name,
    )


def change_record(change: Change) -> ChangeRecord:
    """A plan file's copy of a change."""
    return ChangeRecord(
        action=change.action,
        rule=rule_record(change.entry),
        new_cidr=str(change.new_cidr) if change.new_cidr is not None else None,
        prefix_list=list_record(change.reference),
        reason=change.reason,
    )


def open_world_refused(where: str, cidr: Cidr, claim: str) -> InputError:
    """The one line for a file asking to allow the whole internet without the flag."""
    return InputError(
        f"{where}: {claim} {cidr}, the whole internet; pass --allow-open-world if that is intended"
    )


def _traffic(fields: Fields, keeps_denies: bool) -> Traffic:
    # Only an entry that can deny says allow or deny; early version-1 rules lack the field.
    action = ""
    if keeps_denies or fields.has("rule_action"):
        action = fields.choice("rule_action", ("allow", "deny") if keeps_denies else ("",))
    return Traffic(
        "egress" if fields.choice("direction", ("ingress", "egress")) == "egress" else "ingress",
        fields.text("protocol", pattern=_PROTOCOL),
        fields.integer("from_port", -1, 65535),
        fields.integer("to_port", -1, 65535),
        action,
    )


def _pairs(fields: Fields, key: str) -> tuple[tuple[str, str], ...]:
    found = fields.items(key) if fields.has(key) else []
    for pair in found:
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        ):
            raise fields.fail(key, "expected [key, value] pairs of strings")
    return tuple((key_, value) for key_, value in found)


def rule_from(fields: Fields, account: str | None, region: str) -> Entry:
    """An entry as a plan file or journal line recorded it."""
    name = fields.raw.get("kind", "rule")  # version 1 records before kinds were named
    try:
        kind = kinds.get(name)
    except InputError as exc:
        raise fields.fail("kind", str(exc)) from None
    return Entry(
        kind=kind.name,
        account=AccountId(account or ""),
        region=Region(region),
        container_id=ContainerId(fields.text("group_id", pattern=kind.traits.container_form)),
        container_name=fields.text("group_name", optional=True),
        cidr=fields.cidr("cidr"),
        entry_id=EntryId(fields.text("rule_id", optional=True, pattern=kind.traits.entry_form)),
        traffic=_traffic(fields, kind.traits.keeps_denies) if kind.traits.has_traffic else None,
        description=fields.text("description", optional=True) or None,
        vpc_id=fields.text("vpc_id", optional=True),
        managed=fields.text("managed", optional=True),
        tags=_pairs(fields, "tags"),
    )


def list_from(fields: Fields) -> ContainerRef:
    """The prefix list a change creates, deletes or points a rule at."""
    return ContainerRef(
        fields.text("name"),
        fields.text("id", optional=True, pattern=_LIST_ID),
        fields.integer("max_entries", 1, 1000),
    )


def change_from(
    fields: Fields, target: Target, *, actions: tuple[str, ...], open_world: bool
) -> Change:
    """One change of a plan file or journal line, checked whole."""
    action = fields.choice("action", actions)
    rule = rule_from(fields.sub("rule"), target.account, target.region)
    new = fields.cidr("new_cidr") if fields.has("new_cidr") else None
    ref = list_from(fields.sub("prefix_list")) if fields.has("prefix_list") else None
    if new is not None and new.version != rule.cidr.version:
        raise fields.fail("new_cidr", f"{new} is not of the IP family of the rule's {rule.cidr}")
    if new is not None and new.prefixlen == 0 and action in _ALLOWING and not open_world:
        raise open_world_refused(f"{fields.where}.new_cidr", new, "the change allows")
    if action in _ALLOWING and new is None and (ref is None or action == "create"):
        raise fields.fail("new_cidr", f"a {action} needs the CIDR it allows")
    if action in ("create", "delete") and ref is None:
        raise fields.fail("prefix_list", f"a {action} names the prefix list")
    reason = fields.text("reason", optional=True)
    return Change(cast(Action, action), rule, new, reason, ref)


def target_from(fields: Fields) -> Target:
    """The target a plan file's target or a journal line names."""
    account = fields.text("account", optional=True, pattern=_ACCOUNT)
    creds = Credentials(
        profile=fields.text("profile", optional=True) or None,
        role_arn=fields.text("role_arn", optional=True, pattern=_ROLE_ARN) or None,
        external_id=fields.text("external_id", optional=True) or None,
        session_name=fields.text("session_name", optional=True, pattern=_SESSION) or "sgupdater",
    )
    alias = fields.text("alias", optional=True) or None
    region = Region(fields.text("region", pattern=_REGION))
    return Target(region, creds, AccountId(account) if account else None, alias)
