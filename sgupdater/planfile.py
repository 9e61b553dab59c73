"""Reviewed plans: a dry run's changes written to a file, applied later exactly as reviewed."""

from __future__ import annotations

import json
from pathlib import Path

from sgupdater import formats
from sgupdater.errors import ConfigError
from sgupdater.models import Plan, Target, TargetResult

MAX_BYTES = 64 * 1024 * 1024


def write(path: Path, command: str, results: list[TargetResult]) -> int:
    """Write the plans of these results; the number of changes written."""
    document, count = formats.plan_document(command, results)
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the plan {path}: {exc.strerror or exc}") from None
    return count


def read(path: Path) -> tuple[str, dict[Target, Plan]]:
    """The command and per-target plans of a plan file; anything off is a ConfigError."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{path}: larger than a plan file can be")
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not a plan file (not complete JSON; truncated?)") from None
    return formats.plans_from(str(path), document)
