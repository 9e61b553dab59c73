"""Where the strings of a source file are, byte for byte, and what each stands for (tree-sitter).

Each format's grammar gives every string literal's exact span; the walk records its text (the
bytes between the quotes), the key or attribute it is the value of, and why it must not be
rewritten even when it is exactly a range: a description, an interpolation, the argument of a
function whose result is derived, a key, an escaped string. Comments are kept apart, to be
reported.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Language, Node, Parser

# Terraform functions whose result is computed from the range: rewriting their argument
# changes what they compute, so it is reported, never rewritten.
DERIVED = frozenset({"cidrsubnet", "cidrsubnets", "cidrhost", "cidrnetmask"})
_DESCRIPTION = re.compile(r"description|comment", re.IGNORECASE)
# CloudFormation's interpolating intrinsic, as a JSON key and as a YAML short-form tag.
_SUB = ("Fn::Sub", "!Sub")


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
    # The list it is an item of (its first byte; -1 when none): a new range already among its
    # items is not added again.
    within: int = -1


@dataclass(frozen=True, slots=True)
class Parsed:
    """A file's literals and comments, and whether its grammar read it without an error."""

    literals: tuple[Literal, ...]
    comments: tuple[Literal, ...]
    ok: bool


@functools.cache
def _parser(name: str) -> Parser:
    # Imported when first needed: the grammars are the `iac` extra's (README, Install).
    module = importlib.import_module(f"tree_sitter_{name}")
    return Parser(Language(module.language()))


_LISTS = frozenset({"tuple", "block_sequence", "flow_sequence", "array"})
_STOPS = frozenset({"object", "block_mapping", "flow_mapping", "function_call", "attribute"})


def _list_of(node: Node) -> int:
    """The first byte of the list the node is an item of; -1 when it is not one."""
    parent = node.parent
    while parent is not None and parent.type not in _STOPS:
        if parent.type in _LISTS:
            return parent.start_byte
        parent = parent.parent
    return -1


def _literal(source: bytes, node: Node, start: int, end: int, key: str, reason: str) -> Literal:
    line_start = source.rfind(b"\n", 0, start) + 1
    column = len(source[line_start:start].decode("utf-8", "replace")) + 1
    text = source[start:end].decode("utf-8", "replace")
    return Literal(start, end, node.start_point[0] + 1, column, text, key, reason, _list_of(node))


def parse(name: str, source: bytes) -> Parsed:
    """The literals and comments of `source` in the grammar `name` (hcl, yaml or json)."""
    tree = _parser(name).parse(source)
    walk = {"hcl": _hcl, "yaml": _yaml, "json": _json}[name]
    literals: list[Literal] = []
    comments: list[Literal] = []
    for item in walk(source, tree.root_node, "", ""):
        (comments if item.reason == "in a comment" else literals).append(item)
    return Parsed(tuple(literals), tuple(comments), not tree.root_node.has_error)


def _text(source: bytes, node: Node | None) -> str:
    return (
        "" if node is None else source[node.start_byte : node.end_byte].decode("utf-8", "replace")
    )


def _comment(source: bytes, node: Node) -> Literal:
    return _literal(source, node, node.start_byte, node.end_byte, "", "in a comment")


def _why(key: str, reason: str) -> str:
    if reason:
        return reason
    return "a description" if _DESCRIPTION.search(key) else ""


def _hcl(source: bytes, node: Node, key: str, reason: str) -> Iterator[Literal]:
    kind = node.type
    if kind == "comment":
        yield _comment(source, node)
        return
    if kind == "attribute":
        key = _text(source, node.child_by_field_name("name") or node.children[0])
    elif kind == "object_elem":
        key = _text(source, node.children[0])
    elif kind == "function_call":
        name = _text(source, node.children[0])
        if name in DERIVED:
            reason = f"argument of {name}(): the result is derived from it"
    elif kind in ("template_expr", "heredoc_template"):
        inside = list(_descendants(node))
        if any(c.type == "template_interpolation" for c in inside):
            # Its literal parts are reported when they name a range; the whole never changes.
            why = reason or "built by interpolation"
            for part in (c for c in inside if c.type == "template_literal"):
                yield _literal(source, part, part.start_byte, part.end_byte, key, why)
            return
    elif kind == "string_lit":
        parts = [c for c in node.children if c.type == "template_literal"]
        start = node.children[0].end_byte
        end = node.children[-1].start_byte
        escaped = any(b"\\" in source[p.start_byte : p.end_byte] for p in parts)
        yield _literal(source, node, start, end, key, _why(key, reason) or (
            "an escaped string" if escaped else ""))  # fmt: skip
        return
    for child in node.children:
        yield from _hcl(source, child, key, reason)


def _descendants(node: Node) -> Iterator[Node]:
    for child in node.children:
        yield child
        yield from _descendants(child)


def _yaml_scalar(source: bytes, node: Node, key: str, reason: str) -> Literal:
    start, end = node.start_byte, node.end_byte
    if node.type in ("double_quote_scalar", "single_quote_scalar"):
        start, end = start + 1, end - 1
    inner = source[start:end]
    escaped = b"\\" in inner if node.type == "double_quote_scalar" else b"''" in inner
    multi = b"\n" in inner
    why = _why(key, reason) or ("an escaped string" if escaped else "") or (
        "a string over several lines" if multi else "")  # fmt: skip
    return _literal(source, node, start, end, key, why)


_SCALARS = ("plain_scalar", "double_quote_scalar", "single_quote_scalar")


def _yaml(source: bytes, node: Node, key: str, reason: str) -> Iterator[Literal]:
    kind = node.type
    if kind == "comment":
        yield _comment(source, node)
        return
    if kind in ("block_mapping_pair", "flow_pair"):
        found = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        if found is not None:
            yield from _yaml(source, found, key, "a key")
        if value is not None:
            yield from _yaml(source, value, _text(source, found).strip("\"'"), reason)
        return
    if kind == "flow_node" and any(c.type == "tag" and _text(source, c) == "!Sub"
                                   for c in node.children):  # fmt: skip
        reason = reason or "built by interpolation (!Sub)"
    if kind in _SCALARS:
        yield _yaml_scalar(source, node, key, reason)
        return
    if kind in ("block_scalar",):
        # A literal or folded block: several lines, kept as written.
        yield _literal(source, node, node.start_byte, node.end_byte, key,
                       _why(key, reason) or "a block of text")  # fmt: skip
        return
    for child in node.children:
        yield from _yaml(source, child, key, reason)


def _json(source: bytes, node: Node, key: str, reason: str) -> Iterator[Literal]:
    kind = node.type
    if kind == "comment":
        yield _comment(source, node)
        return
    if kind == "pair":
        found = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        name = _text(source, found)[1:-1] if found is not None else ""
        if found is not None:
            yield from _json(source, found, key, "a key")
        if value is not None:
            why = reason or ("built by interpolation (Fn::Sub)" if name in _SUB else "")
            yield from _json(source, value, name, why)
        return
    if kind == "string":
        start, end = node.start_byte + 1, node.end_byte - 1
        escaped = b"\\" in source[start:end]
        why = _why(key, reason) or ("an escaped string" if escaped else "")
        yield _literal(source, node, start, end, key, why)
        return
    for child in node.children:
        yield from _json(source, child, key, reason)
