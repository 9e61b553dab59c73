"""aws:SourceIp conditions in a policy document: found, and rewritten one value at a time.

Only the matching values change; every other key, statement and value of the document stays
as it was, in its order (documents are dicts, which keep the order they were read in).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sgupdater._types import Cidr
from sgupdater.cidrs import normalise
from sgupdater.kinds.interface import KindError

# Condition keys are case-insensitive (IAM User Guide, "Condition element").
SOURCE_IP = "aws:sourceip"
_OPERATORS = ("IpAddress", "NotIpAddress")
# An entry id (entry_of) as a file may give it: statement | operator | CIDR.
ENTRY_FORM = (
    r"[^|]{1,256}\|(ForAnyValue:|ForAllValues:)?(Not)?IpAddress(IfExists)?\|[0-9a-fA-F.:/]{3,49}"
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One CIDR value of an aws:SourceIp condition, and the statement holding it."""

    ref: str  # the statement's Sid, or "#index" when it has none (or shares it)
    effect: str
    operator: str  # as written, e.g. "ForAnyValue:NotIpAddress"
    cidr: Cidr

    @property
    def entry(self) -> str:
        """What names the value inside its policy: statement, operator and CIDR."""
        return entry_of(self.ref, self.operator, self.cidr)

    @property
    def meaning(self) -> str:
        """Effect and operator, and what a CIDR under NotIpAddress means."""
        but = " (everyone but this range)" if "NotIpAddress" in self.operator else ""
        return f"{self.effect} {self.operator}{but}"


def entry_of(ref: str, operator: str, cidr: Cidr) -> str:
    """The id of a value inside its policy: statement, operator and CIDR."""
    return f"{ref}|{operator}|{cidr}"


def parse_entry(entry: str) -> tuple[str, str]:
    """Statement and operator of an entry id (see entry_of)."""
    parts = entry.rsplit("|", 2)
    if len(parts) != 3:
        raise KindError(f"{entry!r} does not name a policy condition value", "InvalidEntry")
    return parts[0], parts[1]


def _statements(document: Any) -> Iterator[tuple[str, Any]]:
    raw = document.get("Statement", []) if isinstance(document, dict) else []
    listed = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    sids = Counter(s.get("Sid") for s in listed if isinstance(s, dict))
    for index, statement in enumerate(listed):
        if not isinstance(statement, dict):
            continue
        sid = statement.get("Sid")
        unique = isinstance(sid, str) and bool(sid) and sids[sid] == 1
        yield (str(sid) if unique else f"#{index}"), statement


def _conditions(statement: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(operator, its block, the aws:SourceIp key as written) of each IP condition."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return
    for operator, block in condition.items():
        bare = operator.split(":")[-1].removesuffix("IfExists")
        if bare not in _OPERATORS or not isinstance(block, dict):
            continue
        for key in block:
            if key.lower() == SOURCE_IP:
                yield operator, block, key


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _cidr(text: str) -> Cidr | None:
    try:
        return normalise(text)
    except ValueError:
        return None


def hits(document: Any) -> Iterator[Hit]:
    """Every CIDR value under aws:SourceIp in the document."""
    for ref, statement in _statements(document):
        effect = str(statement.get("Effect", ""))
        for operator, block, key in _conditions(statement):
            for text in _values(block[key]):
                cidr = _cidr(text)
                if cidr is not None:
                    yield Hit(ref, effect, operator, cidr)


def widens_if_removed(effect: str, operator: str) -> bool:
    """True where dropping a CIDR lets more in: a Deny naming it, an Allow of all but it."""
    negated = "NotIpAddress" in operator
    return (effect == "Deny") != negated


def rewrite(document: Any, entry: str, action: str, old: Cidr, new: Cidr | None) -> str:
    """Change the document in place for one change; why not ("" when done).

    modify: old becomes new where it stands; authorize: new is added to the entry's
    condition; revoke: old goes (never the last value: the condition would mean another thing),
    and with new (remove --only-where) only from a condition that already holds new.
    """
    ref, operator = parse_entry(entry)
    for found, statement in _statements(document):
        if found != ref:
            continue
        for op, block, key in _conditions(statement):
            if op != operator:
                continue
            value = block[key]
            items = _values(value)
            at = [i for i, text in enumerate(items) if _cidr(text) == old]
            if action == "authorize":
                if new is None or any(_cidr(t) == new for t in items):
                    return f"{new} is already in the condition"
                items.append(str(new))
            elif not at:
                continue
            elif action == "revoke" and new is not None and all(_cidr(t) != new for t in items):
                # Alike means in this condition: elsewhere in the policy does not count.
                return f"{new} is not in this condition; {old} kept"
            else:
                items = _edited(items, at[0], action, new)
            block[key] = items[0] if isinstance(value, str) and len(items) == 1 else items
            return ""
    return f"{old} is no longer in the policy's statement {ref}"


def _edited(items: list[str], at: int, action: str, new: Cidr | None) -> list[str]:
    if action == "modify" and new is not None:
        if any(_cidr(t) == new for t in items):
            # The new range is there already: only the old one goes.
            return items[:at] + items[at + 1 :]
        return [*items[:at], str(new), *items[at + 1 :]]
    if action == "revoke":
        if len(items) == 1:
            raise KindError("removing it would leave the condition empty", "ConditionWouldBeEmpty")
        return items[:at] + items[at + 1 :]
    raise KindError(f"a policy condition cannot {action}", "UnsupportedChange")
