"""Small helpers more than one kind uses."""

from __future__ import annotations

from sgupdater.kinds.interface import Safety

# The answer of an entry that only allows, and governs traffic, not who may call AWS.
ALLOWS = Safety()

# AWS accepts protocol numbers and names; compare entries by one spelling.
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


def normalise_protocol(protocol: str) -> str:
    """One spelling per protocol: tcp, udp, icmp, icmpv6, -1 or the number."""
    lowered = protocol.lower()
    return _PROTOCOL_NAMES.get(lowered, lowered)


def named(ident: str, name: str) -> str:
    """A container as tables show it: its id, and its name in brackets when it has one."""
    ident = ident or "(new)"  # a container a change has yet to create
    return f"{ident} ({name})" if name else ident
