"""Reading plan files and journal lines back (formats.py writes them), every field checked.

A file is checked whole before the first call: types and allowed values, canonical CIDRs of
the rule's family, a new CIDR exactly where the action needs one, and the open-world guard of
`update` (0.0.0.0/0 or ::/0 only with --allow-open-world).
"""

from __future__ import annotations

from typing import Any, cast

from sgupdater import kinds
from sgupdater._types import AccountId, Action, Cidr, ContainerId, EntryId, Region
from sgupdater.errors import ConfigError, InputError
from sgupdater.files.fields import Fields, depth_ok
from sgupdater.models import (
    Change,
    Credentials,
    Entry,
    Plan,
    PrefixListRef,
    Target,
    Traffic,
    repoint,
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


def list_from(fields: Fields) -> PrefixListRef:
    """The prefix list a change creates, deletes or points a rule at."""
    return PrefixListRef(
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


def _steps(change: Change) -> tuple[Change, ...]:
    """A change as this version makes it; a version-1 migrate pointed a rule at a list in place."""
    ref = change.prefix_list
    if change.action == "modify" and ref is not None and change.new_cidr is None:
        return repoint(change.entry, ref)
    return (change,)


def plans_from(name: str, document: Any, *, open_world: bool = False) -> dict[Target, Plan]:
    """The per-target plans of a plan file's document, checked whole."""
    depth_ok(name, document)
    top = Fields(name, document)
    plans: dict[Target, Plan] = {}
    for i, raw in enumerate(top.items("targets")):
        fields = Fields(f"{name}: targets[{i}]", raw)
        target = target_from(fields)
        changes = tuple(
            step
            for j, item in enumerate(fields.items("changes"))
            for step in _steps(
                change_from(
                    Fields(f"{fields.where}.changes[{j}]", item),
                    target,
                    actions=PLAN_ACTIONS,
                    open_world=open_world,
                )
            )
        )
        if target in plans:
            raise ConfigError(f"{fields.where}: the same target appears twice")
        plans[target] = Plan(changes, tuple(c.entry for c in changes))
    return plans
