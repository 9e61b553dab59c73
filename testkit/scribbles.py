"""A kind with a switch and an allowance of its own, registered before the command line loads.

`python -m testkit.scribbles ARGS` runs sgupdater with it: what adding a kind costs is its own
module and one line in the registry; its flag, allowance and config keys follow.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from sgupdater import kinds
from sgupdater._types import AccountId, ContainerId, KindName
from sgupdater.kinds.interface import Batch, KindScan, Reading, Safety, Switch, Traits
from sgupdater.models import Change, Current, Entry, Outcome
from sgupdater.scope import Scope

SMUDGES = Switch("allow_smudges", "--allow-smudges", "Let scribbles smudge.")


class Scribbles:
    """One page of notes, read from memory; it never calls AWS."""

    name = KindName("scribble")
    service = "sts"
    switch = Switch("scribbles", "--scribbles", "Also the scribbles.")
    recorded = None
    allowances = (SMUDGES,)
    traits = Traits(has_traffic=False)

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """The page's one entry; smudged when the run allows it (the allowance arrived)."""
        smudged = SMUDGES.key in reading.scope.switches
        cidr = ipaddress.ip_network("192.0.2.0/24")
        rule = Entry(self.name, AccountId(reading.account or ""), reading.target.region,
                    ContainerId("page-1"), "notes", cidr,
                    description="office (smudged)" if smudged else "office")  # fmt: skip
        return KindScan((rule,) if reading.relevant(cidr) else ())

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterator[Current]:
        """Nothing changes on this page."""
        return iter(())

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Never asked to: the tests only show."""
        raise NotImplementedError

    def safety(self, rule: Entry) -> Safety:
        """Notes only allow."""
        return Safety()

    def cost(self, change: Change) -> int:
        """No quota."""
        return 0

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """The page."""
        return f"page {ident}"


def main() -> None:
    """Register the kind (its one registry line), then run the command line."""
    kinds.KINDS.append(Scribbles())
    from sgupdater.cli.app import run

    sys.argv[0] = "sgupdater"
    run()


if __name__ == "__main__":
    main()
