"""Reviewed plans: a dry run's changes written to a file, applied later exactly as reviewed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from sgupdater.errors import ConfigError
from sgupdater.files import records as formats
from sgupdater.files.plan_read import plans_from
from sgupdater.files.safe import create_new
from sgupdater.models import Plan, Target, TargetResult

MAX_BYTES = 64 * 1024 * 1024


def write(path: Path, command: str, results: list[TargetResult]) -> tuple[int, str]:
    """Write the plans of these results; the number of changes and the file's SHA-256."""
    document, count = formats.plan_document(command, results)
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    fd = create_new(path, "plan")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:
        raise ConfigError(f"cannot write the plan {path}: {exc.strerror or exc}") from None
    return count, hashlib.sha256(data).hexdigest()


def read(path: Path, *, sha256: str | None = None, open_world: bool = False) -> dict[Target, Plan]:
    """The per-target plans of a plan file, checked whole; anything off is a ConfigError."""
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
    return plans_from(str(path), document, open_world=open_world)


def _kind_and_version(path: Path, document: object) -> None:
    if not isinstance(document, dict) or document.get("kind") != formats.PLAN_KIND:
        raise ConfigError(f"{path}: not a sgupdater plan file")
    if document.get("format_version") != formats.PLAN_VERSION:
        raise ConfigError(
            f"{path}: plan format version {document.get('format_version')!r}; "
            f"this sgupdater reads version {formats.PLAN_VERSION}"
        )
