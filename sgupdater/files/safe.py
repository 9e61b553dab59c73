"""Files sgupdater writes and reads: created new and owner-only, checked for tampering risks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sgupdater.errors import ConfigError

# New, never through a symlink, owner-only: a plan maps a firewall and is what gets applied.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def must_be_new(path: Path, what: str) -> None:
    """Refuse a path that exists (a symbolic link too), before any work is done for it."""
    if path.exists() or path.is_symlink():
        raise ConfigError(_exists(path, what))


def _exists(path: Path, what: str) -> str:
    return f"{path} exists; a {what} is written to a new file"


def create_new(path: Path, what: str) -> int:
    """A file descriptor for a file that did not exist, created 0600; never follows a link."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write the {what} {path}: {exc.strerror or exc}") from None
    try:
        return os.open(path, _CREATE, 0o600)
    except FileExistsError:
        raise ConfigError(_exists(path, what)) from None
    except OSError as exc:
        raise ConfigError(f"cannot write the {what} {path}: {exc.strerror or exc}") from None


def must_be_regular(path: Path, what: str) -> None:
    """Refuse a path that is not a regular file (a device, a pipe, a directory) in one line."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        # /dev/zero would never end; a pipe would be read once and not be what was reviewed.
        raise ConfigError(f"{path}: not a regular file; a {what} is a file")


def risks(path: Path) -> list[str]:
    """What makes a plan or journal file untrustworthy: a symlink, or writable by others."""
    found = []
    try:
        if path.is_symlink():
            found.append(f"{path} is a symbolic link: what it points at can change under you")
        mode = path.stat().st_mode
    except OSError:
        return found  # the read reports it
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        found.append(f"{path} is writable by group or others: anyone of them can change it")
    return found
