"""Frozen records passed between the pipeline stages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sgupdater._types import AccountId, Action, Cidr, ContainerId, Direction, KindName, Region
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


@dataclass(frozen=True, slots=True)
class Traffic:
    """What an entry lets through besides its CIDR: direction, protocol and ports.

    For ICMP the ports are the type and code; an ordered entry (an ACL's) also allows or denies.
    """

    direction: Direction
    protocol: str
    from_port: int = -1
    to_port: int = -1
    # "allow" or "deny" for an entry that can deny; "" for a rule, which only allows.
    action: str = ""


# The container and traffic of an entry: two entries with the same key are duplicates once
# their CIDRs are equal.
PortKey = tuple[ContainerId, Traffic | None]


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry naming a CIDR, in the container of its kind that holds it.

    container_id and container_name name the container (the kind's Traits.container says
    what it is: group, list, ACL, IP set, policy, bucket); entry_id is the entry's id inside
    it, "" where the CIDR alone tells entries apart. traffic is None for an entry with none
    of its own (a list's: the rules referencing the list decide the traffic).
    """

    kind: KindName
    account: AccountId
    region: Region
    container_id: ContainerId
    container_name: str
    cidr: Cidr
    entry_id: str = ""
    traffic: Traffic | None = None
    description: str | None = None
    # The network the container belongs to (a VPC), "" where the kind has none.
    vpc_id: str = ""
    # Why the container belongs to infrastructure as code, e.g. "cloudformation:web".
    managed: str = ""
    # The entry's own tags (a security-group rule's), kept when it is replaced by a new one.
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> PortKey:
        """Container and traffic: what must match for two entries to collide."""
        return (self.container_id, self.traffic)

    @property
    def direction(self) -> Direction | None:
        """The entry's direction, None when it has no traffic of its own."""
        return self.traffic.direction if self.traffic is not None else None


@dataclass(frozen=True, slots=True)
class Current:
    """An entry as it is now, as verification compares it (key, CIDR text, description)."""

    entry_id: str
    key: PortKey
    # The CIDR, or the id of the container an entry references (a prefix list).
    cidr: str
    description: str | None


@dataclass(frozen=True, slots=True)
class ContainerRef:
    """A container a change creates, deletes or points an entry at (migrate's list).

    The kind offering the operation says what it is; the core only carries it.
    """

    name: str
    id: str = ""  # empty until the list exists
    max_entries: int = 0


@dataclass(frozen=True, slots=True)
class Change:
    """One planned API-level edit of one rule (or entry).

    new_cidr: what modify or authorize allows; for a revoke, the CIDR that replaces the rule.
    reference: for migrate, the container an entry is pointed at, or the one created or deleted.
    """

    action: Action
    entry: Entry
    new_cidr: Cidr | None = None
    reason: str = ""
    reference: ContainerRef | None = None


def repoint(rule: Entry, ref: ContainerRef, note: str = "") -> tuple[Change, Change]:
    """A literal entry moved to a container: an entry referencing it first, then the literal one
    revoked, so nothing is cut in between (an entry's type never changes in place)."""
    return (
        Change("authorize", rule, None, f"reference {ref.name}{note}", ref),
        Change("revoke", rule, None, f"{ref.name} referenced first", ref),
    )


def new_value(change: Change) -> str:
    """What the change makes the entry allow: a CIDR, or (an entry repointed) a container's id."""
    if change.new_cidr is None and change.reference is not None:
        return change.reference.id or change.reference.name
    return str(change.new_cidr)


@dataclass(frozen=True, slots=True)
class Applied:
    """The change was made; new_id names what the call created (a rule, a container)."""

    new_id: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """The change was deliberately not made; settled: because what it would make is in place
    already (otherwise the entry moved on, and the old range may still be trusted there)."""

    reason: str
    settled: bool = False


@dataclass(frozen=True, slots=True)
class Failed:
    """AWS refused the change."""

    code: str
    message: str


Outcome = Applied | Skipped | Failed


@dataclass(frozen=True, slots=True)
class Found:
    """A change's state as its container shows it when read again after an error.

    done: in place (new_id: the entry it made, if known); untouched: as before the call;
    unknown: neither, so the change is in doubt.
    """

    state: Literal["done", "untouched", "unknown"]
    new_id: str | None = None


# How the reason of an undo begins when the journal never heard the original's answer.
IN_DOUBT = "in doubt"
# The code of a Failed whose call may or may not have been carried out (the answer was lost
# and the container, read again, shows neither state): no `after` line is journalled for it,
# so rollback settles it by reading, as for a run killed mid-call.
IN_DOUBT_CODE = "InDoubt"
# The code of a target a signal stopped the run before (reported once, counted, not per target).
INTERRUPTED = "Interrupted"
# TargetResult.skipped of an account-region --inventory found nothing of the range in.
LEFT_OUT = "left out: the inventory records nothing of the range there"
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
class ItemFailure:
    """One kind, or one container of it, that could not be read in a target: the rest was."""

    kind: KindName
    # The container that failed; "" when the kind failed as a whole (a missing permission).
    container: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Quota:
    """What a write to a container must fit: used now and the limit, in a unit.

    Containers sharing one quota (the inline policies of one role) share its key.
    """

    key: str
    used: int
    limit: int
    unit: str


@dataclass(frozen=True, slots=True)
class Scan:
    """What one target holds that is relevant to the mappings."""

    target: Target
    account: AccountId | None
    groups_scanned: int
    rules: tuple[Entry, ...]
    # How many more entries fit in each container of a kind with capacity.
    room: Mapping[str, int] = field(default_factory=dict)
    # Containers whose entries cannot be changed here, and why.
    locked: Mapping[str, str] = field(default_factory=dict)
    # The size or count quota each container's write must fit.
    quotas: Mapping[str, Quota] = field(default_factory=dict)
    # What could not be read; everything else of the target was.
    failures: tuple[ItemFailure, ...] = ()
    # What the operator should know before approving (a policy governing their own calls).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes for one target, and the matched rules needing none."""

    changes: tuple[Change, ...]
    matched: tuple[Entry, ...]
    unchanged: tuple[Entry, ...] = ()
    # Matched, but not changed, and why (no room in the list, the group's rules quota).
    blocked: tuple[tuple[Entry, str], ...] = ()
    # Matched and left on purpose, and why (remove keeps what restricts: a deny, a block list).
    kept: tuple[tuple[Entry, str], ...] = ()


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
    # Why the target was left out without a call: an Organization account not ACTIVE (its
    # state), or an account-region the inventory says holds nothing of the range (LEFT_OUT).
    skipped: str = ""
    # Kinds or containers that could not be read; the rest of the target was.
    failures: tuple[ItemFailure, ...] = ()
    # Warnings for the operator (see Scan.notes).
    notes: tuple[str, ...] = ()
