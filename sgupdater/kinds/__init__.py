"""The registry of kinds of CIDR holders: the one list the pipeline reads.

Adding a kind is one folder beside this file and one line in KINDS. Outside kinds/, code
imports only this registry and the interface (tests/unit/test_layout.py checks it): an
operation a kind offers beyond update, add and remove (migrate, by prefix lists) is handed on
here.
"""

from __future__ import annotations

from collections.abc import Iterator

from sgupdater.errors import InputError
from sgupdater.kinds.interface import Kind, Switch
from sgupdater.kinds.nacls.kind import KIND as ACLS
from sgupdater.kinds.policies.bucket import KIND as BUCKET_POLICIES
from sgupdater.kinds.policies.iam import KIND as IAM_POLICIES
from sgupdater.kinds.prefix_lists.kind import KIND as PREFIX_LISTS
from sgupdater.kinds.prefix_lists.migrate import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_RULES_QUOTA,
    MigrateRequest,
)
from sgupdater.kinds.security_groups.kind import KIND as SECURITY_GROUPS
from sgupdater.kinds.waf.kind import CLOUDFRONT_KIND as CLOUDFRONT_IP_SETS
from sgupdater.kinds.waf.kind import KIND as IP_SETS
from sgupdater.scope import Scope

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_RULES_QUOTA",
    "KINDS",
    "MigrateRequest",
    "Switch",
]

KINDS: list[Kind] = [
    SECURITY_GROUPS,
    PREFIX_LISTS,
    ACLS,
    IP_SETS,
    CLOUDFRONT_IP_SETS,
    IAM_POLICIES,
    BUCKET_POLICIES,
]


def get(name: str) -> Kind:
    """The kind of this name; an unknown name (from a file) is bad input."""
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise InputError(f"unknown kind {name!r} (known: {', '.join(k.name for k in KINDS)})")


def enabled(scope: Scope) -> Iterator[Kind]:
    """The kinds a run searches: those always on, and those switched on, in registry order."""
    for kind in KINDS:
        if kind.switch is None or kind.switch.key in scope.switches:
            yield kind


def allowances(*, on_apply: bool = False) -> list[Switch]:
    """Every allowance of every kind once, in registry order (on_apply: those apply takes)."""
    seen: dict[str, Switch] = {}
    for kind in KINDS:
        for allowance in kind.allowances:
            if allowance.on_apply or not on_apply:
                seen.setdefault(allowance.key, allowance)
    return list(seen.values())


def allowance(key: str) -> Switch:
    """The allowance of this key (a kind's safety answer names it)."""
    return next(a for a in allowances() if a.key == key)


def switches() -> list[tuple[Kind, str]]:
    """Every opt-in key once, with the first kind it turns on, in registry order."""
    seen: dict[str, Kind] = {}
    for kind in KINDS:
        if kind.switch is not None:
            seen.setdefault(kind.switch.key, kind)
    return [(kind, key) for key, kind in seen.items()]
