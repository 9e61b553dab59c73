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


def inside(cidr: Cidr, outer: Cidr) -> bool:
    """True when cidr lies within outer (or equals it)."""
    return cidr.version == outer.version and cidr.subnet_of(outer)  # type: ignore[arg-type]


def renumbered(cidr: Cidr, source: Cidr, target: Cidr) -> Cidr:
    """cidr moved to the same offset inside target as it has inside source."""
    offset = int(cidr.network_address) - int(source.network_address)
    return type(cidr)((int(target.network_address) + offset, cidr.prefixlen))


def is_open_world(cidr: Cidr) -> bool:
    """True for 0.0.0.0/0 and ::/0."""
    return cidr.prefixlen == 0


@dataclass(frozen=True, slots=True)
class Mapping:
    """One from → to replacement."""

    source: Cidr
    target: Cidr | None = None


def check_mappings(
    mappings: tuple[Mapping, ...],
    *,
    allow_open_world: bool,
    within: bool = False,
    renumber: bool = False,
) -> None:
    """Refuse mappings that cannot be applied safely in one plan."""
    sources = [m.source for m in mappings]
    if within:
        _check_ranges(mappings, renumber=renumber)
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


def _check_ranges(mappings: tuple[Mapping, ...], *, renumber: bool) -> None:
    for m in mappings:
        if renumber and m.target is not None and m.target.prefixlen != m.source.prefixlen:
            raise InputError(
                f"--renumber needs equal prefix lengths: {m.source} and {m.target} differ"
            )
        for other in mappings:
            if other is not m and other.source.overlaps(m.source):
                raise InputError(f"with --match within, {m.source} and {other.source} overlap")
            if m.target is not None and m.target.overlaps(other.source):
                # A rule moved into a range that is itself being moved would move twice.
                raise InputError(
                    f"with --match within, {m.target} overlaps the from-cidr {other.source}"
                )
