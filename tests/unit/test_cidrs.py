"""CIDR parsing and the checks on mappings, without a command line around them."""

from __future__ import annotations

import ipaddress

import pytest

from sgupdater.cidrs import Mapping, check_mappings, inside, parse_cidr, renumbered
from sgupdater.errors import InputError

A, B, C = (ipaddress.ip_network(c) for c in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def test_parse_is_strict_and_says_what_was_meant() -> None:
    assert parse_cidr(" 192.0.2.0/24 ", option="--x") == A
    with pytest.raises(InputError, match=r"did you mean 192\.0\.2\.0/24"):
        parse_cidr("192.0.2.9/24", option="--x")
    with pytest.raises(InputError, match="'office' is not an IPv4 or IPv6 CIDR"):
        parse_cidr("office", option="--x")


@pytest.mark.parametrize(
    ("mappings", "message"),
    [
        ((Mapping(A, ipaddress.ip_network("2001:db8::/32")),), "different IP families"),
        ((Mapping(A, A),), "are the same"),
        ((Mapping(A, ipaddress.ip_network("0.0.0.0/0")),), "--allow-open-world"),
        ((Mapping(A, B), Mapping(B, C)), "both a from-cidr and a to-cidr"),
        ((Mapping(A, B), Mapping(A, C)), "more than one mapping"),
    ],
)
def test_mappings_that_cannot_be_applied_safely_are_refused(
    mappings: tuple[Mapping, ...], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        check_mappings(mappings, allow_open_world=False)


def test_ranges_must_not_overlap_and_renumbering_keeps_the_prefix_length() -> None:
    with pytest.raises(InputError, match="overlap"):
        check_mappings(
            (Mapping(A, B), Mapping(ipaddress.ip_network("192.0.2.128/25"), C)),
            allow_open_world=False,
            within=True,
        )
    with pytest.raises(InputError, match="equal prefix lengths"):
        check_mappings(
            (Mapping(A, ipaddress.ip_network("198.51.0.0/16")),),
            allow_open_world=False,
            within=True,
            renumber=True,
        )
    host = ipaddress.ip_network("192.0.2.77/32")
    assert inside(host, A)
    assert not inside(host, B)
    assert renumbered(host, A, B) == ipaddress.ip_network("198.51.100.77/32")
