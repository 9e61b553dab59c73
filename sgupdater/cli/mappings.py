"""The from → to pairs a command is given (its flags, else the configuration file) and the checks
every command makes of them, in one wording for all (update, add, show, remove, rewrite)."""

from __future__ import annotations

from sgupdater.cidrs import Mapping, parse_cidr
from sgupdater.errors import InputError

# The commands whose every range inside the old one needs a new range of its own.
_RENUMBERING = frozenset({"update", "add", "rewrite"})


def given(
    source: str | None,
    target: str | None,
    configured: tuple[Mapping, ...] | None,
    *,
    names: tuple[str, str] = ("--from-cidr", "--to-cidr"),
) -> tuple[Mapping, ...]:
    """The pairs: from the flags, else from the configuration file."""
    if source is not None:
        kept = parse_cidr(target, option=names[1]) if target is not None else None
        return (Mapping(parse_cidr(source, option=names[0]), kept),)
    if target is not None:
        raise InputError(f"{names[1]} needs {names[0]}")
    if not configured:
        raise InputError(f"pass {names[0]}, or --config with a 'mappings' list")
    return configured


def replacing(mappings: tuple[Mapping, ...]) -> tuple[Mapping, ...]:
    """The pairs, each with a range to move to."""
    if any(m.target is None for m in mappings):
        raise InputError("every mapping needs a to-cidr (--to-cidr, or 'to' in the config file)")
    return mappings


def check_match(operation: str, *, within: bool, renumber: bool) -> None:
    """--match within and --renumber: each needs the other where ranges move."""
    if renumber and not within:
        raise InputError("--renumber goes with --match within")
    if within and not renumber and operation in _RENUMBERING:
        aside = "" if operation == "rewrite" else " (show and remove work without it)"
        raise InputError(
            f"--match within needs --renumber for {operation}: each range inside the old one "
            f"needs its own new CIDR{aside}"
        )
