"""What a string of a source file stands for: its exact span, the key or attribute it is the
value of, the list it is an item of, and why it must not be rewritten even when it is exactly a
range (a description, an interpolation, the argument of a function whose result is derived, a
key, an escaped string), one reader per grammar (tree-sitter nodes in, Literals out).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

# Terraform functions whose result is computed from the range: rewriting their argument
# changes what they compute, so it is reported, never rewritten.
DERIVED = frozenset({"cidrsubnet", "cidrsubnets", "cidrhost", "cidrnetmask"})
_DESCRIPTION = re.compile(r"description|comment", re.IGNORECASE)
COMMENT = "in a comment"
INTERPOLATED = "built by interpolation"

# Where a key stands for code: the node kinds that name the value they hold, and the field
# (or, for None, the first child) that names it: a keyword argument, a property, a variable, a
# method called with the literal (Piculet's `description '...'`, `ip_ranges(...)`).
_KEYS = {
    "keyword_argument": "name", "pair": "key", "assignment": "left",
    "variable_declarator": "name", "assignment_expression": "left",
    "public_field_definition": "name", "call": "method",
}  # fmt: skip
_INTERPOLATIONS = frozenset({"interpolation", "template_substitution"})
# The nodes that hold a list's items, and those a list's item is never inside of (the rest of a
# mapping is not the list's).
LISTS = frozenset({"tuple", "block_sequence", "flow_sequence", "array", "list", "set",
                   "argument_list", "arguments"})  # fmt: skip
STOPS = frozenset({"object", "block_mapping", "flow_mapping", "function_call", "attribute"})


@dataclass(frozen=True, slots=True)
class Literal:
    """A string literal's text and where it stands: bytes [start, end) hold exactly `text`."""

    start: int
    end: int
    line: int  # 1-based
    column: int  # 1-based, in characters of the line's text
    text: str
    key: str = ""
    # Why it is never rewritten ("" when it may be).
    reason: str = ""
    # The list it is an item of (its first byte; -1 when none).
    within: int = -1


def text_of(source: bytes, node: Node | None) -> str:
    if node is None:
        return ""
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _chain(root: Node, node: Node) -> tuple[Node, ...]:
    """The node's ancestors, its parent first: found from the root down, as each parent call
    would search from the root again."""
    chain = []
    at: Node | None = root
    while at is not None and at != node:
        chain.append(at)
        at = at.child_with_descendant(node)
    return tuple(reversed(chain))


@dataclass(frozen=True, slots=True)
class Spot:
    """A string node, its ancestors (its parent first) and the list it is an item of (None
    when it is not one)."""

    node: Node
    up: tuple[Node, ...]
    within: Node | None = None


def spot_of(root: Node, node: Node) -> Spot:
    up = _chain(root, node)
    for parent in up:
        if parent.type in STOPS:
            break
        if parent.type in LISTS:
            return Spot(node, up, parent)
    return Spot(node, up)


def at(source: bytes, spot: Spot, start: int, end: int, key: str, reason: str) -> Literal:
    line_start = source.rfind(b"\n", 0, start) + 1
    column = len(source[line_start:start].decode("utf-8", "replace")) + 1
    text = source[start:end].decode("utf-8", "replace")
    line = source.count(b"\n", 0, start) + 1
    held = spot.within
    return Literal(start, end, line, column, text, key, reason,
                   held.start_byte if held is not None else -1)  # fmt: skip


def _why(key: str, reason: str, escaped: bool = False, multi: bool = False) -> str:
    if reason:
        return reason
    if _DESCRIPTION.search(key):
        return "a description"
    return "an escaped string" if escaped else "a string over several lines" if multi else ""


def _hcl(source: bytes, spot: Spot) -> Iterator[Literal]:
    node = spot.node
    key, reason = "", ""
    for up in spot.up:
        if up.type == "function_call" and not reason:
            name = text_of(source, up.children[0])
            if name in DERIVED:
                reason = f"argument of {name}(): the result is derived from it"
        elif up.type in ("attribute", "object_elem") and not key:
            key = text_of(source, up.children[0]).strip('"')
    if node.type != "string_lit":
        # A quoted or heredoc template: with an interpolation it is reported (a range in it, or
        # one it may build), never changed; without one it is a plain string.
        if any(c.type == "template_interpolation" for c in node.children):
            why = reason or INTERPOLATED
            yield at(source, spot, node.start_byte, node.end_byte, key, why)
        return
    start, end = node.children[0].end_byte, node.children[-1].start_byte
    escaped = b"\\" in source[start:end]
    yield at(source, spot, start, end, key, _why(key, reason, escaped))


def _pair_key(source: bytes, spot: Spot, pair_types: tuple[str, ...]) -> tuple[str, str]:
    """(the key whose value holds the node, "a key" when the node is itself a key)."""
    child = spot.node
    for up in spot.up:
        if up.type in pair_types:
            found = up.child_by_field_name("key")
            if found is not None and found.start_byte <= child.start_byte < found.end_byte:
                return "", "a key"
            return text_of(source, found).strip("\"'"), ""
        child = up
    return "", ""


def _yaml(source: bytes, spot: Spot) -> Iterator[Literal]:
    node = spot.node
    key, reason = _pair_key(source, spot, ("block_mapping_pair", "flow_pair"))
    for up in spot.up:
        if up.type == "flow_node" and any(
            c.type == "tag" and text_of(source, c) == "!Sub" for c in up.children
        ):
            reason = reason or "built by interpolation (!Sub)"
        if up.type in ("block_mapping_pair", "flow_pair"):
            break
    start, end = node.start_byte, node.end_byte
    if node.type == "block_scalar":
        yield at(source, spot, start, end, key, _why(key, reason) or "a block of text")
        return
    if node.type in ("double_quote_scalar", "single_quote_scalar"):
        start, end = start + 1, end - 1
    inner = source[start:end]
    escaped = b"\\" in inner if node.type == "double_quote_scalar" else b"''" in inner
    yield at(source, spot, start, end, key, _why(key, reason, escaped, b"\n" in inner))


def _json(source: bytes, spot: Spot) -> Iterator[Literal]:
    node = spot.node
    key, reason = _pair_key(source, spot, ("pair",))
    if not reason:
        for up in spot.up:
            name = up.child_by_field_name("key") if up.type == "pair" else None
            if name is not None and text_of(source, name) == '"Fn::Sub"':
                reason = "built by interpolation (Fn::Sub)"
    start, end = node.start_byte + 1, node.end_byte - 1
    yield at(source, spot, start, end, key, _why(key, reason, b"\\" in source[start:end]))


def _code_key(source: bytes, spot: Spot) -> str:
    """The name the nearest keyword argument, property, variable or method gives the value."""
    for up in spot.up:
        field = _KEYS.get(up.type)
        if field is not None:
            named = up.child_by_field_name(field) or (up.children[0] if up.children else None)
            if named is not None and named.start_byte <= spot.node.start_byte < named.end_byte:
                return ""
            return text_of(source, named).strip("\"'")
    return ""


def code(source: bytes, spot: Spot) -> Iterator[Literal]:
    """A string of Python, TypeScript or Ruby: its content between its quote tokens; with an
    interpolation, the whole string, reported, never changed."""
    node = spot.node
    key = _code_key(source, spot)
    parts = node.children
    if any(c.type in _INTERPOLATIONS for c in parts):
        yield at(source, spot, node.start_byte, node.end_byte, key, INTERPOLATED)
        return
    if len(parts) < 2:
        return
    start, end = parts[0].end_byte, parts[-1].start_byte
    quote = text_of(source, parts[0])
    escaped = any(c.type == "escape_sequence" for c in parts) or "r" in quote.lower()
    multi = b"\n" in source[start:end]
    yield at(source, spot, start, end, key, _why(key, "", escaped, multi))


# The reader of each grammar's strings (Python, TypeScript and Ruby share one).
READERS = {"hcl": _hcl, "yaml": _yaml, "json": _json}
