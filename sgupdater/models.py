"""Frozen records passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sgupdater._types import AccountId, Action, Cidr, Direction, GroupId, Kind, Region, RuleId
from sgupdater.errors import TargetError


@dataclass(frozen=True, slots=True)
class Credentials:
    """How to reach one account: a profile (None: the SDK's chain), maybe a role to assume."""

    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str = "sgupdater"

    @property
    def label(self) -> str:
        """How these credentials are named in messages."""
        return self.role_arn or self.profile or "default credentials"


@dataclass(frozen=True, slots=True)
class Target:
    """One (credentials, region) pair to visit; the unit of work of every stage."""

    region: Region
    credentials: Credentials = Credentials()
    account: AccountId | None = None
    alias: str | None = None

    @property
    def label(self) -> str:
        """How the target is named in messages."""
        return f"{self.credentials.label} / {self.region}"


# Protocol, ports and direction: two rules with the same key in one group are duplicates
# once their CIDRs are equal.
PortKey = tuple[GroupId, Direction, str, int, int]


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry naming a CIDR: a security-group rule, a prefix-list or a network ACL entry.

    For a prefix-list entry group_* name the list; for a NACL entry they name the ACL and
    rule_id is the rule number.
    """

    account: AccountId
    region: Region
    vpc_id: str
    group_id: GroupId
    group_name: str
    rule_id: RuleId
    direction: Direction
    protocol: str
    from_port: int
    to_port: int
    cidr: Cidr
    description: str | None = None
    kind: Kind = "rule"
    # A NACL entry's allow or deny.
    rule_action: str = ""
    # Why the group (list, ACL) belongs to infrastructure as code, e.g. "cloudformation:web".
    managed: str = ""

    @property
    def key(self) -> PortKey:
        """Group, direction, protocol and ports: what must match for two rules to collide."""
        return (self.group_id, self.direction, self.protocol, self.from_port, self.to_port)


Key = tuple[str, str, str, int, int]


@dataclass(frozen=True, slots=True)
class Current:
    """A CIDR rule as it is now, as rollback compares it (key, CIDR text, description)."""

    rule_id: str
    key: Key
    # The CIDR, or the prefix-list id a rule references.
    cidr: str
    description: str | None
    rule_action: str = ""


@dataclass(frozen=True, slots=True)
class PrefixListRef:
    """A customer-managed prefix list a change creates or points a rule at."""

    name: str
    id: str = ""  # empty until the list exists
    max_entries: int = 0


@dataclass(frozen=True, slots=True)
class Change:
    """One planned API-level edit of one rule (or entry).

    new_cidr: what modify or authorize allows; for a revoke, the CIDR that replaces the rule.
    prefix_list: for migrate, the list a rule is pointed at, or the list created or deleted.
    """

    action: Action
    rule: Rule
    new_cidr: Cidr | None = None
    reason: str = ""
    prefix_list: PrefixListRef | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """The change was made."""

    new_rule_id: RuleId | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """The change was deliberately not made."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """AWS refused the change."""

    code: str
    message: str


Outcome = Applied | Skipped | Failed
Status = Literal["planned", "applied", "skipped", "failed"]


def status_of(outcome: Outcome | None) -> Status:
    """The word the reports use for an outcome (None means not applied yet)."""
    if outcome is None:
        return "planned"
    if isinstance(outcome, Applied):
        return "applied"
    if isinstance(outcome, Skipped):
        return "skipped"
    return "failed"


@dataclass(frozen=True, slots=True)
class Scan:
    """What one target holds that is relevant to the mappings."""

    target: Target
    account: AccountId | None
    groups_scanned: int
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes for one target, and the matched rules needing none."""

    changes: tuple[Change, ...]
    matched: tuple[Rule, ...]
    unchanged: tuple[Rule, ...] = ()
    # Matched, but not changed, and why (no room in the list, the group's rules quota).
    blocked: tuple[tuple[Rule, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TargetResult:
    """Everything the report needs about one target."""

    target: Target
    account: AccountId | None = None
    groups_scanned: int = 0
    plan: Plan = field(default_factory=lambda: Plan((), ()))
    # None: nothing applied yet; a None inside: that change is still only planned.
    outcomes: tuple[Outcome | None, ...] | None = None
    error: TargetError | None = None
