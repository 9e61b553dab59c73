"""Plan files: their schema, written new and read back whole (a version-1 migrate read as
today's), every field checked before anything is applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgupdater import __version__
from sgupdater.errors import ConfigError
from sgupdater.files.changes import (
    PLAN_ACTIONS,
    change_from,
    change_record,
    credentials_record,
    target_from,
)
from sgupdater.files.fields import Fields, depth_ok
from sgupdater.files.safe import create_new
from sgupdater.models import (
    Change,
    Plan,
    Target,
    TargetResult,
    repoint,
)

PLAN_VERSION = 1


PLAN_KIND = "sgupdater-plan"


MAX_BYTES = 64 * 1024 * 1024


def plan_document(command: str, results: Iterable[TargetResult]) -> tuple[dict[str, Any], int]:
    """The plan file of these results, and the number of changes it holds."""
    targets = []
    count = 0
    for result in results:
        if result.error is not None or not result.plan.changes:
            continue
        changes = [change_record(c) for c in result.plan.changes]
        count += len(changes)
        targets.append(
            {
                **credentials_record(result.target.credentials),
                "account": result.account or result.target.account,
                "alias": result.target.alias,
                "region": result.target.region,
                "changes": changes,
            }
        )
    document = {
        "format_version": PLAN_VERSION,
        "kind": PLAN_KIND,
        "tool_version": __version__,
        "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "targets": targets,
    }
    return document, count


def write(path: Path, command: str, results: list[TargetResult]) -> tuple[int, str]:
    """Write the plans of these results; the number of changes and the file's SHA-256."""
    document, count = plan_document(command, results)
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    fd = create_new(path, "plan")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:
        raise ConfigError(f"cannot write the plan {path}: {exc.strerror or exc}") from None
    return count, hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class PlanFile:
    """A plan file read and checked whole: what it plans, and what identifies it for review."""

    path: Path
    sha256: str
    command: str
    created: str  # "" where the file does not say
    plans: dict[Target, Plan]


def read(path: Path, *, sha256: str | None = None, open_world: bool = False) -> dict[Target, Plan]:
    """The per-target plans of a plan file, checked whole; anything off is a ConfigError."""
    return load(path, sha256=sha256, open_world=open_world).plans


def load(path: Path, *, sha256: str | None = None, open_world: bool = False) -> PlanFile:
    """A plan file, checked whole as apply checks it; anything off is a ConfigError."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{path}: larger than a plan file can be")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256.strip().lower():
        raise ConfigError(
            f"{path}: its SHA-256 is {digest}, not the {sha256.strip()} that was reviewed; "
            "nothing applied"
        )
    try:
        document = json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not a plan file (not complete JSON; truncated?)") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a plan file") from None
    _kind_and_version(path, document)
    plans = plans_from(str(path), document, open_world=open_world)
    top = Fields(str(path), document)
    command = top.text("command", optional=True, pattern=r"[a-z]{1,20}")
    created = top.text("created", optional=True, pattern=r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    return PlanFile(path, digest, command, created, plans)


def _kind_and_version(path: Path, document: object) -> None:
    if not isinstance(document, dict) or document.get("kind") != PLAN_KIND:
        raise ConfigError(f"{path}: not a sgupdater plan file")
    if document.get("format_version") != PLAN_VERSION:
        raise ConfigError(
            f"{path}: plan format version {document.get('format_version')!r}; "
            f"this sgupdater reads version {PLAN_VERSION}"
        )


def _steps(change: Change) -> tuple[Change, ...]:
    """A change as this version makes it; a version-1 migrate pointed a rule at a list in place."""
    ref = change.reference
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
