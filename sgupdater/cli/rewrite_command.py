"""`sgupdater rewrite PATH...`: the old range in infrastructure-as-code sources, as a diff."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from sgupdater.cidrs import check_mappings
from sgupdater.cli import config
from sgupdater.cli import mappings as mappings_of
from sgupdater.cli.flows import PENDING
from sgupdater.cli.options import FromCidr, MatchChoice, OpenWorld, Quiet, ToCidr
from sgupdater.engine.planner import Request
from sgupdater.output import findings
from sgupdater.sources import files, rewrite
from sgupdater.sources.literals import Rules, hints


class RewriteFormat(str, Enum):
    """What rewrite prints on stdout."""

    diff = "diff"
    json = "json"


def _rules(
    from_cidr: str | None, to_cidr: str | None, settings: config.FileSettings | None,
    match: MatchChoice | None, renumber: bool, allow_open_world: bool,
) -> Rules:  # fmt: skip
    """The mappings as update checks them: flags, else the file's; each with a new range."""
    configured = settings.mappings if settings is not None else None
    mappings = mappings_of.replacing(mappings_of.given(from_cidr, to_cidr, configured))
    how = match or MatchChoice(settings.match if settings and settings.match else "exact")
    within = how is MatchChoice.within
    mappings_of.check_match("rewrite", within=within, renumber=renumber)
    check_mappings(mappings, allow_open_world=allow_open_world, within=within, renumber=renumber)
    request = Request("update", mappings, match=how.value, renumber=renumber)
    return Rules(request.resolve, allow_open_world, hints(request.ranges()))


def rewrite_command(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files or directories.")],
    from_cidr: FromCidr = None,
    to_cidr: ToCidr = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", metavar="FILE", help="Its mappings and match.")
    ] = None,
    match: Annotated[
        MatchChoice | None, typer.Option("--match", metavar="MODE", help="exact or within.")
    ] = None,
    renumber: Annotated[
        bool, typer.Option("--renumber", help="With --match within: keep each offset.")
    ] = False,
    allow_open_world: OpenWorld = False,
    output: Annotated[
        RewriteFormat | None,
        typer.Option("--output", "-o", metavar="FORMAT", help="diff (default) or json."),
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="Edit the files in place.")] = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 3 while a literal would change.")
    ] = False,
    quiet: Quiet = False,
) -> int:
    """Rewrite the old range where infrastructure as code holds it, as a reviewed diff."""
    settings = config.load(config_file) if config_file is not None else None
    rules = _rules(from_cidr, to_cidr, settings, match, renumber, allow_open_world)
    sources, left = files.sources(paths)
    showing = output is not RewriteFormat.json and not write
    results = rewrite.rewrite_all(sources, rules, diff_root=Path.cwd() if showing else None)
    if write:
        for done in results:
            if done.changes and not done.refused:
                try:
                    rewrite.write(done)
                except (rewrite.ChangedSinceRead, OSError) as exc:
                    # This file alone is left as it is; the others are still written.
                    done.refused = str(exc)
    if output is RewriteFormat.json:
        findings.document(sys.stdout, results, left, write)
    elif showing:
        findings.diffs(sys.stdout, results)
    for line in findings.lines(results, left, write)[(-1 if quiet else 0) :]:
        typer.echo(line, err=True)
    counts = findings.counts(results)
    if counts["files_refused"]:
        return 1
    pending = counts["changes"] > 0 and not write
    return PENDING if detailed_exitcode and pending else 0
