"""What a kind of CIDR holder is and does: the one boundary between the pipeline and a kind.

The planner, verifier, applier, report and rollback read a kind's traits and call its methods;
none of them names a kind. Adding one is a module under kinds/ and a line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sgupdater._types import AccountId, Cidr, KindName
from sgupdater.errors import TargetError
from sgupdater.models import Current, Outcome, Rule, Target
from sgupdater.scope import Scope
from sgupdater.sending import Batch


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


@dataclass(frozen=True, slots=True)
class Switch:
    """The opt-in that turns a kind on: a flag, a config-file `scope` key, and the flag's help."""

    key: str
    flag: str
    help: str


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


@dataclass(frozen=True, slots=True)
class KindScan:
    """The relevant entries a kind found in one target."""

    entries: tuple[Rule, ...]
    containers: int = 0
    # The account owning what was read, when the answers say.
    account: AccountId | None = None
    # How many more entries fit in each container (kinds with capacity).
    room: dict[str, int] = field(default_factory=dict)
    # Containers whose entries this run cannot change, and why (e.g. kept by IPAM).
    locked: dict[str, str] = field(default_factory=dict)


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

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """Every relevant entry of the target's containers in scope, paginated."""

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterable[Current]:
        """These containers' entries as they are now (ids distinct, sorted, at least one)."""

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Carry out a batch of changes to one container; an outcome per change index."""

    def kept(self, rule: Rule) -> bool:
        """True when removing this entry would let more in (a deny): remove leaves it."""

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """The container column of a table row, e.g. "sg-1 (web)"."""
