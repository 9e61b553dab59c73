"""Parsing and validation of the CIDRs the user types."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sgupdater._types import Cidr
from sgupdater.errors import InputError


def parse_cidr(text: str, *, option: str) -> Cidr:
    """Parse one CIDR strictly; host bits set or a malformed value is an InputError."""
    value = text.strip()
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an IPv4 or IPv6 CIDR") from None
    raise InputError(f"{option}: {text!r} has host bits set; did you mean {loose}?")


def normalise(text: str) -> Cidr | None:
    """Parse a CIDR as AWS reports it, tolerating host bits; None when unparseable."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def is_open_world(cidr: Cidr) -> bool:
    """True for 0.0.0.0/0 and ::/0."""
    return cidr.prefixlen == 0


@dataclass(frozen=True, slots=True)
class Mapping:
    """One from → to replacement."""

    source: Cidr
    target: Cidr | None = None


def check_mappings(mappings: tuple[Mapping, ...], *, allow_open_world: bool) -> None:
    """Refuse mappings that cannot be applied safely in one plan."""
    sources = [m.source for m in mappings]
    for m in mappings:
        if m.target is None:
            continue
        if m.source.version != m.target.version:
            raise InputError(
                f"--from-cidr {m.source} and --to-cidr {m.target} are of different IP families"
            )
        if m.source == m.target:
            raise InputError(f"--from-cidr and --to-cidr are the same ({m.source})")
        if is_open_world(m.target) and not allow_open_world:
            raise InputError(
                f"--to-cidr {m.target} opens the rules to the whole internet; "
                "pass --allow-open-world if that is intended"
            )
        if m.target in sources:
            # A chain (A→B, B→C) would make the result depend on the order of the calls.
            raise InputError(f"{m.target} is both a from-cidr and a to-cidr")
    if len(set(sources)) != len(sources):
        raise InputError("the same from-cidr appears in more than one mapping")
