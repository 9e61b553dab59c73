"""The migrate command: point the rules allowing a CIDR at a prefix list holding it."""

from __future__ import annotations

from typing import Annotated

import typer

from sgupdater.cidrs import parse_cidr
from sgupdater.cli.flows import change
from sgupdater.cli.options import Common, DryRun, JournalPath, PlanOut, Yes, cidr_option
from sgupdater.errors import InputError
from sgupdater.kinds import DEFAULT_MAX_ENTRIES, DEFAULT_RULES_QUOTA, MigrateRequest

MAX_DESCRIPTION = 255

Cidr = Annotated[str, cidr_option("--cidr", "The CIDR whose literal rules move to the list.")]
ListName = Annotated[
    str,
    typer.Option(
        "--prefix-list", metavar="NAME|PL_ID", help="The customer-managed list to reference."
    ),
]
Create = Annotated[
    bool, typer.Option("--create", help="Create the list (by name) where it does not exist.")
]
MaxEntries = Annotated[
    int,
    typer.Option(
        "--max-entries", metavar="N", min=1, max=1000, help="MaxEntries of a created list."
    ),
]
RulesQuota = Annotated[
    int,
    typer.Option(
        "--rules-quota",
        metavar="N",
        min=1,
        max=1000,
        help="Rules per group and direction your accounts allow (EC2's default: 60).",
    ),
]
Description = Annotated[
    str | None,
    typer.Option(
        "--description",
        metavar="TEXT",
        help="Description of the list's new entry (default: the rules' most common one).",
    ),
]


def migrate(
    common: Common,
    cidr: Cidr,
    prefix_list: ListName,
    create: Create = False,
    max_entries: MaxEntries = DEFAULT_MAX_ENTRIES,
    rules_quota: RulesQuota = DEFAULT_RULES_QUOTA,
    description: Description = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    journal: JournalPath = None,
    plan_out: PlanOut = None,
) -> int:
    """Point the rules allowing --cidr at a prefix list holding it: the next move is one edit."""
    source = parse_cidr(cidr, option="--cidr")
    name = prefix_list.strip()
    if not name or len(name) > 255 or name.lower().startswith("com.amazonaws"):
        raise InputError(
            f"--prefix-list: {prefix_list!r} is not a usable prefix-list name or pl- id"
        )
    text = description.strip() if description and description.strip() else None
    if text is not None and len(text) > MAX_DESCRIPTION:
        # AddPrefixListEntry.Description: "Constraints: Up to 255 characters in length."
        raise InputError(
            f"--description: {len(text)} characters; a prefix-list entry's description holds "
            f"at most {MAX_DESCRIPTION}"
        )
    if text is not None and not text.isprintable():
        raise InputError("--description: only printable characters (no tabs or line breaks)")
    request = MigrateRequest(
        source,
        name,
        create=create,
        max_entries=max_entries,
        rules_quota=rules_quota,
        directions=common.directions(),
        skip_managed=common.skip_managed,
        description=text,
    )
    return change("migrate", request, common, dry_run, yes, journal, plan_out)
