"""What a kind of CIDR holder is and does: the one boundary between the pipeline and a kind.

The planner, verifier, applier, report and rollback read a kind's traits and call its methods;
none of them names a kind. Adding one is a module under kinds/ and a line in the registry.

Every kind answers one safety contract, which the pipeline enforces (ARCHITECTURE.md):
which entries restrict rather than allow (`safety`), what quota a write must fit
(`KindScan.quotas` and `cost`), which containers are protected or owned elsewhere
(`KindScan.locked`), which writes can cut the caller's own access (`Safety.governs_callers`),
and in which partitions the kind exists (`Traits.partitions`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sgupdater._types import AccountId, Cidr, Direction, KindName, Region
from sgupdater.errors import TargetError
from sgupdater.models import (
    IN_DOUBT_CODE,
    Change,
    Current,
    Entry,
    Failed,
    Found,
    ItemFailure,
    Outcome,
    Quota,
    Target,
)
from sgupdater.scope import Scope

Indexed = list[tuple[int, Change]]
# Reads the batch's container again and tells each change's state (see truth.py).
Check = Callable[[Indexed], dict[int, Found]]


class Recorder(Protocol):
    """Told of each change before it is sent and of its outcome after (the journal)."""

    def before(self, change: Change) -> None: ...

    def after(self, change: Change, outcome: Outcome) -> None: ...

    def kept(self, container: str, what: str, document: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class Batch:
    """The changes to one container, and how their calls are journalled and stopped."""

    container_id: str
    changes: Indexed
    record: Recorder | None = None
    # Set on SIGINT/SIGTERM: calls not yet sent are skipped.
    stop: threading.Event | None = None
    # What the run allows beyond the changes themselves (e.g. "prune_policy_versions").
    allow: frozenset[str] = frozenset()
    # After a refused call, or one whose answer was lost: what is true now (truth.checker).
    check: Check | None = None


def in_doubt(outcome: Outcome | None) -> bool:
    """True for the outcome of a call that may or may not have been carried out."""
    return isinstance(outcome, Failed) and outcome.code == IN_DOUBT_CODE


def settle(
    batch: Indexed, outcome: Outcome, outcomes: dict[int, Outcome], record: Recorder | None
) -> None:
    """Give every change of the batch this outcome, and journal it when there is a journal."""
    for index, change in batch:
        outcomes[index] = outcome
        # In doubt: no `after` line, so the journal says what is known (a call was sent, its
        # answer was not heard) and rollback settles it by reading.
        if record is not None and not in_doubt(outcome):
            record.after(change, outcome)


class KindError(TargetError):
    """A kind could not read or change its containers in one target."""


@dataclass(frozen=True, slots=True)
class Traits:
    """What the planner, verifier and applier need to know of a kind's entries."""

    # Entries carry direction, protocol and ports of their own.
    has_traffic: bool = True
    # Entries are ordered by number: replaced where they stand, never added beside, and
    # re-created only at their number while it is free.
    in_place_only: bool = False
    # remove never deletes a deny entry: that would let the range in, not shut it out.
    keeps_denies: bool = False
    # A container holds a bounded number of entries: adding plans against the room left.
    has_capacity: bool = False
    # All of a container's edits land in one call, so update always replaces in place.
    atomic: bool = False
    # Widened before every other kind and narrowed after them: other entries may rely on it.
    wraps: bool = False
    # Its containers are what the summary counts as "groups scanned".
    counted: bool = False
    # One CIDR may stand in many entries of a container (a policy's statements): update
    # replaces each in place and add adds beside it; the kind sees to a value already there.
    values_repeat: bool = False
    # Global to an account (IAM, S3, CloudFront's WAF): read in one target per account (its
    # us-east-1 target if the run visits it, else its first), whose region its entries carry.
    per_account: bool = False
    # The forms a plan file or journal may give its container ids and entry ids (regular
    # expressions, matched whole; None: any text): files are input.
    container_form: str | None = None
    entry_form: str | None = None
    # What the kind calls its containers, as outputs name them ("security group", "IP set").
    container: str = "container"
    # The partitions where the kind exists (None: all); elsewhere it is not read, and -v says
    # so (CloudFront's WAF scope exists in the aws partition only).
    partitions: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Safety:
    """What an entry means for access: the kind's answer to the safety contract."""

    # Why the entry restricts rather than allows ("" when it allows): a deny, a block list, a
    # Deny statement's value. remove keeps it (removing it would let the range in).
    restricts: str = ""
    # The allowance (a key of the kind's `allowances`) without which update and add leave a
    # restricting entry blocked, saying why ("": it follows the range, and the output shows
    # what it is).
    consent: str = ""
    # Changing it can narrow who may call AWS, the caller included (a policy's value): applied
    # after every other change of the run, and only if they all applied.
    governs_callers: bool = False


@dataclass(frozen=True, slots=True)
class Switch:
    """An opt-in a kind declares: a flag, a config-file `scope` key, and the flag's help.

    A kind's `switch` turns it on; its `allowances` let a run do more with it (prune policy
    versions, move block lists); on_apply: `apply` takes the allowance too; commands: the
    searching commands whose flag it is (their --help lists it, the others refuse it).
    """

    key: str
    flag: str
    help: str
    on_apply: bool = False
    commands: tuple[str, ...] = ("show", "update", "add", "remove")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a kind's scan of one target needs to know."""

    target: Target
    scope: Scope
    relevant: Callable[[Cidr], bool]
    # The account the target turned out to be, once an earlier kind saw it.
    account: AccountId | None = None
    # Where a scan may run a call beside its own (None: one call at a time, --concurrency 1);
    # shared by every target, so no target starts a thread of its own.
    side: Executor | None = None
    # The target's client of any service (e.g. STS, to learn who the caller is).
    clients: Callable[[str], Any] | None = None


@dataclass(frozen=True, slots=True)
class KindScan:
    """The relevant entries a kind found in one target."""

    entries: tuple[Entry, ...]
    containers: int = 0
    # The account owning what was read, when the answers say.
    account: AccountId | None = None
    # How many more entries fit in each container (kinds with capacity).
    room: dict[str, int] = field(default_factory=dict)
    # Containers whose entries this run cannot change, and why: kept by IPAM, protected by AWS
    # (a service-linked role), owned elsewhere (an Identity Center role): blocked, saying so.
    locked: dict[str, str] = field(default_factory=dict)
    # The size or count quota each container's write must fit: checked at plan time.
    quotas: dict[str, Quota] = field(default_factory=dict)
    # Containers that could not be read (the others were), e.g. a bucket answering AccessDenied.
    failures: tuple[ItemFailure, ...] = ()
    # What the operator should read before approving.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """A container as AWS Config recorded it: one answer of an inventory (--inventory)."""

    account: AccountId
    region: Region
    resource_id: str
    configuration: Mapping[str, Any]
    tags: Mapping[str, str]
    # configurationItemCaptureTime: when Config last recorded the container.
    captured: str = ""


@dataclass(frozen=True, slots=True)
class Recorded:
    """How AWS Config records a kind's containers: the resource type, its properties of type
    cidr_block with their IP version (awslabs/aws-config-resource-schema), and its entries."""

    resource_type: str
    # (property, 4 or 6 (0: either family, as a prefix list's entries), the direction of the
    # entries it holds (None: either, as an ACL's))
    properties: tuple[tuple[str, int, Direction | None], ...]
    # Every entry naming a CIDR in a record, within the scope's filters (the caller keeps the
    # relevant ones); no call is made.
    entries: Callable[[Record, Scope], Iterable[Entry]]


class Kind(Protocol):
    """One kind of CIDR holder: security-group rules, prefix-list entries, ACL entries, ..."""

    @property
    def name(self) -> KindName:
        """How plans, journals and outputs name the kind."""

    @property
    def service(self) -> str:
        """The SDK service whose client the kind's methods receive."""

    @property
    def switch(self) -> Switch | None:
        """The opt-in that turns the kind on; None: always searched."""

    @property
    def traits(self) -> Traits:
        """What the pipeline needs to know of its entries."""

    @property
    def allowances(self) -> tuple[Switch, ...]:
        """What a run may allow the kind beyond its switch; each key lands in Scope.switches."""

    @property
    def recorded(self) -> Recorded | None:
        """How AWS Config records its containers (--inventory); None: it is read live only."""

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """Every relevant entry of the target's containers in scope, paginated."""

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterable[Current]:
        """These containers' entries as they are now (ids distinct, sorted, at least one)."""

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Carry out a batch of changes to one container; an outcome per change index."""

    def safety(self, rule: Entry) -> Safety:
        """Whether the entry restricts, needs consent to move, or governs who may call AWS."""

    def cost(self, change: Change) -> int:
        """How much the change adds to its container's quota (KindScan.quotas); 0 if none."""

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """The container column of a table row, e.g. "sg-1 (web)"."""
