"""What becomes of one string literal of a source file: pure, no file or parser in sight.

A literal is rewritten only when it is a range as a whole: exactly a CIDR, a bare address where
its field takes one, or a list of them joined by one separator (`a,b`, `a, b`). The mapping
rules are `update`'s (engine/planner.Request.resolve): exact, or within with renumbering;
families never mixed (the mappings were checked), the open-world guard, and a new range already
in the same list removes the old one instead of doubling it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sgupdater._types import Cidr
from sgupdater.cidrs import is_open_world, normalise

# Resolve a CIDR: (matched, the CIDR it maps to), as planner.Request.resolve answers.
Resolve = Callable[[Cidr], tuple[bool, Cidr | None]]
# Something that looks like an IPv4 or IPv6 address, with or without a prefix length.
LOOKS = re.compile(
    r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)(?:/\d{1,3})?"
)
_SEPARATORS = (", ", ",")


@dataclass(frozen=True, slots=True)
class Decision:
    """A literal's fate: its new text (None: unchanged), and what was done or why not."""

    new: str | None
    action: str  # "rewrite", "dedupe" (an old range dropped: the new one is there) or "keep"
    reason: str = ""
    # The old ranges the literal names that the mappings match (for the finding's `old`).
    old: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rules:
    """How literals are rewritten: the mappings' resolution, the open-world guard, and the text
    any literal that can match holds (`hints`; none: every literal is looked at)."""

    resolve: Resolve
    allow_open_world: bool = False
    hints: tuple[str, ...] = ()


def hints(sources: Sequence[Cidr]) -> tuple[str, ...]:
    """What every spelling of a range inside one of `sources` holds: the IPv4 octets its prefix
    fixes ("192.0.2."), or a colon for IPv6 (whose spellings vary); none at all when a range
    fixes no octet (every literal is then looked at)."""
    found = []
    for source in sources:
        if source.version == 6:
            found.append(":")
            continue
        fixed = source.prefixlen // 8
        octets = str(source.network_address).split(".")[:fixed]
        if not fixed:
            return ()
        found.append(".".join(octets) + ("." if fixed < 4 else ""))
    return tuple(found)


def _item(text: str, bare: bool) -> tuple[Cidr | None, bool]:
    """The range one list item names, and whether it was a bare address."""
    if "/" in text:
        return normalise(text), False
    if not bare:
        return None, False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None, False
    return ipaddress.ip_network(address), True


def _split(text: str) -> tuple[list[str], str]:
    """The items of a literal and the separator joining them ("" for a single item)."""
    for separator in _SEPARATORS:
        if separator in text:
            parts = text.split(separator)
            if all(p and p == p.strip() for p in parts):
                return parts, separator
            return [text], ""
    return [text], ""


def _spelled(cidr: Cidr, bare: bool) -> str:
    full = cidr.max_prefixlen == cidr.prefixlen
    return str(cidr.network_address) if bare and full else str(cidr)


def decide(text: str, rules: Rules, *, bare: bool = False) -> Decision | None:
    """What to do with a literal; None when it names no range at all (nothing to report)."""
    items, separator = _split(text)
    ranges = [_item(item, bare) for item in items]
    if any(cidr is None for cidr, _ in ranges):
        return None if not LOOKS.search(text) else _partial(text, rules)
    matched = [(i, c) for i, (c, _) in enumerate(ranges) if c is not None and rules.resolve(c)[0]]
    if not matched:
        return None
    old = tuple(items[i] for i, _ in matched)
    kept = [str(c) for c, _ in ranges if c is not None]
    out: list[str | None] = list(items)
    deduped = False
    for i, cidr in matched:
        target = rules.resolve(cidr)[1]
        if target is None:
            return Decision(None, "keep", "no to-cidr for this range", old)
        if is_open_world(target) and not rules.allow_open_world:
            return Decision(None, "keep", f"{target} would open it to the world", old)
        if str(target) in kept:
            out[i], deduped = None, True
        else:
            out[i] = _spelled(target, ranges[i][1])
            kept.append(str(target))
    new = (separator or "").join(item for item in out if item is not None)
    if not new:
        return Decision(None, "keep", "every range of it would go", old)
    return Decision(new, "dedupe" if deduped else "rewrite", "", old)


def _partial(text: str, rules: Rules) -> Decision | None:
    """A longer string (or a bare address where a range is expected) holding a matched range:
    reported, never changed."""
    single = normalise(text)
    if single is not None and rules.resolve(single)[0]:
        return Decision(None, "keep", "a bare address where a range is expected", (text,))
    for found in LOOKS.finditer(text):
        cidr = normalise(found.group())
        if cidr is not None and rules.resolve(cidr)[0]:
            return Decision(None, "keep", "inside a longer string", (found.group(),))
    return None


def mentions(text: str, rules: Rules) -> list[str]:
    """The matched ranges a comment or description mentions (reported, never changed)."""
    found = []
    for match in LOOKS.finditer(text):
        cidr = normalise(match.group())
        if cidr is not None and rules.resolve(cidr)[0]:
            found.append(match.group())
    return found
