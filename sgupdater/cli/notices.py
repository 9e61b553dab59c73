"""What a run tells its operator on stderr beside the results: notes, failures, the inventory."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from sgupdater.engine import visits
from sgupdater.models import INTERRUPTED, TargetResult
from sgupdater.output.rows import change_rows, failure_rows, moved_on


def notes(results: Sequence[TargetResult]) -> None:
    """What the operator should read before approving, once per note."""
    seen: set[str] = set()
    for result in results:
        for note in result.notes:
            if note not in seen:
                seen.add(note)
                typer.echo(f"sgupdater: warning: {result.account or ''}: {note}", err=True)


def stopped(result: TargetResult) -> bool:
    """A target the run was stopped before it was done with (runner.interrupted)."""
    return result.error is not None and result.error.code == INTERRUPTED


def failures(results: Sequence[TargetResult]) -> int:
    """Say on stderr what failed, was blocked or moved on; the number of failed targets."""
    failed = 0
    cut = 0
    for row in failure_rows(results):
        failed += 1
        if row["error_code"] == INTERRUPTED:
            cut += 1
            continue
        who = row["role_arn"] or row["profile"] or "default credentials"
        if row["account"] and row["account"] not in who:
            who += f" ({row['account']})"
        typer.echo(f"sgupdater: {who} / {row['region']}: {row['message']}", err=True)
    if cut:
        typer.echo(f"sgupdater: {cut} target(s) not done: interrupted", err=True)
    for change in moved_on(results):
        typer.echo(
            f"sgupdater: {change['account']} / {change['region']} / {change['group_id']}: "
            f"{change['action']} {change['old_cidr']} skipped: {change['detail']}; "
            f"{change['old_cidr']} may still be trusted there",
            err=True,
        )
    for change in change_rows(results):
        if change["status"] == "blocked":
            typer.echo(
                f"sgupdater: {change['account']} / {change['region']} / {change['group_id']}: "
                f"{change['old_cidr']} left as it is: {change['detail']}",
                err=True,
            )
        if change["status"] == "failed":
            typer.echo(
                f"sgupdater: {change['account']} / {change['region']} / {change['group_id']}: "
                f"{change['action']} {change['old_cidr']} failed: {change['detail']}",
                err=True,
            )
    return failed


# Past this many, the account-regions an inventory left out are counted, not named, on stderr.
_NAMED = 10


def inventory(chosen: visits.Chosen, reported: bool) -> None:
    """What the inventory answered, when it was recorded, and what it leaves out."""
    first, last = chosen.inventory.captured
    when = f"recorded {first} to {last}" if first else "nothing of the range recorded"
    how = "reported as recorded, nothing read live" if reported else "read live"
    typer.echo(
        f"inventory {chosen.inventory.source} ({when}): {len(chosen.visit)} account-region(s) "
        f"to visit, {how}; {len(chosen.left_out)} left out",
        err=True,
    )
    if 0 < len(chosen.left_out) <= _NAMED:
        names = ", ".join(f"{r.account} / {r.target.region}" for r in chosen.left_out)
        typer.echo(f"sgupdater: left out by the inventory: {names}", err=True)
