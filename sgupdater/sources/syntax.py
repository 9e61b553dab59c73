"""Where the strings of a source file are, byte for byte, and what each stands for (tree-sitter).

Only the strings and comments where the text of a range may stand are looked at in Python:
found from where a hint stands in the bytes (the grammar's node there, climbed to its string),
then their exact span (the bytes between the quotes), the key or attribute they are the value
of, the list they are an item of, and why they must not be rewritten even when they are exactly
a range (a description, an interpolation, the argument of a function whose result is derived, a
key, an escaped string).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sgupdater.errors import InputError
from sgupdater.sources.files import NEEDS_EXTRA

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Query

# Terraform functions whose result is computed from the range: rewriting their argument
# changes what they compute, so it is reported, never rewritten.
DERIVED = frozenset({"cidrsubnet", "cidrsubnets", "cidrhost", "cidrnetmask"})
_DESCRIPTION = re.compile(r"description|comment", re.IGNORECASE)
COMMENT = "in a comment"
INTERPOLATED = "built by interpolation"
# A string that interpolates something and ends like a range ("${var.base}/24") may build the
# old range at run time, so it is looked at even when it names no range itself: found in the
# bytes as an interpolation followed by a prefix length.
_BUILT_AT = re.compile(rb"\{[^{}\n]{0,200}\}[.\w]*/\d{1,3}\b")
# The node kinds a grammar gives its strings, interpolated ones included.
_STRING_KINDS = {
    "hcl": frozenset({"string_lit", "quoted_template", "heredoc_template"}),
    "yaml": frozenset({"double_quote_scalar", "single_quote_scalar", "plain_scalar",
                       "block_scalar"}),
    "json": frozenset({"string"}),
    "python": frozenset({"string"}),
    "typescript": frozenset({"string", "template_string"}),
    "ruby": frozenset({"string"}),
}  # fmt: skip


# Where a key stands for code: the node kinds that name the value they hold, and the field
# (or, for None, the first child) that names it: a keyword argument, a property, a variable, a
# method called with the literal (Piculet's `description '...'`, `ip_ranges(...)`).
_KEYS = {
    "keyword_argument": "name", "pair": "key", "assignment": "left",
    "variable_declarator": "name", "assignment_expression": "left",
    "public_field_definition": "name", "call": "method",
}  # fmt: skip
_INTERPOLATIONS = frozenset({"interpolation", "template_substitution"})
_LANGUAGES = {"typescript": "language_typescript"}
_LISTS = frozenset({"tuple", "block_sequence", "flow_sequence", "array", "list", "set",
                    "argument_list", "arguments"})  # fmt: skip
_STOPS = frozenset({"object", "block_mapping", "flow_mapping", "function_call", "attribute"})


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


@dataclass(frozen=True, slots=True)
class Parsed:
    """A file's literals and comments that may name a range, and whether it parsed cleanly."""

    literals: tuple[Literal, ...]
    comments: tuple[Literal, ...]
    ok: bool
    # How many nodes the grammar's tree has: the same before and after a rewrite that changed
    # nothing but the text of string literals.
    nodes: int = 0
    # The list nodes the literals above are items of, by their first byte (see in_list).
    lists: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)
    # The grammar's tree, for an incremental parse of the rewritten bytes (reparse).
    tree: Any = field(default=None, compare=False, repr=False)


@functools.cache
def _grammar(name: str) -> tuple[Parser, Query, Any]:
    # Imported when first needed: tree-sitter and its grammars are the `iac` extra's, and the
    # AWS side of the tool needs none of it.
    try:
        import tree_sitter

        grammar = importlib.import_module(f"tree_sitter_{name}")
    except ImportError:
        raise InputError(NEEDS_EXTRA) from None
    language = tree_sitter.Language(getattr(grammar, _LANGUAGES.get(name, "language"))())
    # Every string kind of the grammar (@s) and its comments (@c).
    strings = " ".join(f"({kind}) @s" for kind in sorted(_STRING_KINDS[name]))
    query = tree_sitter.Query(language, f"{strings} (comment) @c")
    return tree_sitter.Parser(language), query, tree_sitter.QueryCursor


def parse(name: str, source: bytes, hints: Sequence[str] = ()) -> Parsed:
    """The literals and comments of `source` (grammar `name`) holding one of `hints` (none:
    every one)."""
    parser = _grammar(name)[0]
    tree = parser.parse(source)
    context = {"hcl": _hcl, "yaml": _yaml, "json": _json}.get(name, _code)
    wanted = tuple(hint.encode() for hint in hints)

    def holds(start: int, end: int) -> bool:
        # On the bytes in place: no slice, no decoding.
        return not wanted or any(source.find(hint, start, end) >= 0 for hint in wanted)

    root = tree.root_node
    strings, found = _candidates(name, source, root, wanted)
    spots = [_spot(root, node) for node in strings]
    literals = [
        lit
        for spot in spots
        for lit in context(source, spot)
        if holds(lit.start, lit.end) or lit.reason.startswith(INTERPOLATED)
    ]
    comments = [
        _at(source, _Spot(n, ()), n.start_byte, n.end_byte, "", COMMENT)
        for n in found
        if holds(n.start_byte, n.end_byte)
    ]
    lists: dict[int, Node] = {}
    for spot in spots:
        if spot.within is not None:
            lists.setdefault(spot.within.start_byte, spot.within)
    return Parsed(
        tuple(sorted(literals, key=lambda lit: lit.start)),
        tuple(comments),
        not tree.root_node.has_error,
        tree.root_node.descendant_count,
        lists,
        tree,
    )


def _point(source: bytes, at: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, at)
    return row, at - (source.rfind(b"\n", 0, at) + 1)


def reparse(
    name: str, before: bytes, parsed: Parsed, after: bytes, edits: Sequence[tuple[int, int, str]]
) -> str:
    """Why the rewritten bytes do not make the original's tree but for the literals' text ("" when
    they do): parsed incrementally from the first tree, told of each edit (the last first)."""
    old = parsed.tree.copy() if parsed.tree is not None else None
    if old is None:
        return "the rewritten file would not parse: left as it is"
    for start, end, text in sorted(edits, reverse=True):
        row, column = _point(before, start)
        size = len(text.encode())
        old.edit(
            start_byte=start, old_end_byte=end, new_end_byte=start + size,
            start_point=(row, column), old_end_point=_point(before, end),
            new_end_point=(row, column + size),
        )  # fmt: skip
    new = _grammar(name)[0].parse(after, old)
    if new.root_node.has_error:
        return "the rewritten file would not parse: left as it is"
    # tree-sitter names the ranges whose syntactic structure changed: "characters outside these
    # ranges have identical ancestor nodes in both trees" (ts_tree_get_changed_ranges). With
    # none, and as many nodes, every byte has the ancestors it had: only literals' text moved.
    if old.changed_ranges(new) or new.root_node.descendant_count != parsed.nodes:
        return "the rewrite would change the file's structure: left as it is"
    return ""


def in_list(source: bytes, parsed: Parsed, within: int, text: str) -> bool:
    """Whether a string item of the list at byte `within` (see Literal.within) is `text`."""
    held = parsed.lists.get(within)
    if held is None or source.find(text.encode(), held.start_byte, held.end_byte) < 0:
        # An item's text is its bytes between the quotes: with the text nowhere in the list's
        # bytes, no item is it, and the items (hundreds, in a big list) are not walked.
        return False
    return text in _items(source, held)


_STRINGS = frozenset({"string_lit", "double_quote_scalar", "single_quote_scalar", "plain_scalar",
                      "string", "template_string"})  # fmt: skip


def _items(source: bytes, held: Node) -> frozenset[str]:
    """The texts (quotes taken off) of the strings that are items of the list `held`."""
    texts = set()
    for node in _item_strings(held, depth=3):
        text = _text(source, node)
        quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"
        texts.add(text[1:-1] if quoted else text)
    return frozenset(texts)


def _item_strings(node: Node, depth: int) -> Iterator[Node]:
    """The strings a few levels under a list, never inside a list or mapping of their own: an
    item's string is at most three levels down (item, node, scalar), and the rest of a big
    list (the rules of a sequence of mappings) is never walked."""
    for child in node.children:
        if child.type in _STRINGS:
            yield child
        elif depth > 1 and child.type not in _LISTS and child.type not in _STOPS:
            yield from _item_strings(child, depth - 1)


def _candidates(
    name: str, source: bytes, root: Node, wanted: Sequence[bytes]
) -> tuple[list[Node], list[Node]]:
    """The strings and comments that may name a range: found from where a hint (or an
    interpolation ending like a range) stands in the bytes, climbing from the node there; with
    no hint, every string and comment the grammar's query finds."""
    if not wanted:
        _, query, cursor = _grammar(name)
        found = cursor(query).captures(root)
        return found.get("s", []), found.get("c", [])
    offsets = {m.start() for m in _BUILT_AT.finditer(source)}
    for hint in wanted:
        at = source.find(hint)
        while at >= 0:
            offsets.add(at)
            at = source.find(hint, at + 1)
    kinds = _STRING_KINDS[name]
    strings: dict[tuple[int, int], Node] = {}
    comments: dict[tuple[int, int], Node] = {}
    for at in sorted(offsets):
        node: Node | None = root.descendant_for_byte_range(at, at + 1)
        while node is not None and node.type not in kinds and node.type != "comment":
            node = node.parent
        if node is not None:
            into = comments if node.type == "comment" else strings
            into.setdefault((node.start_byte, node.end_byte), node)
    return list(strings.values()), list(comments.values())


def _text(source: bytes, node: Node | None) -> str:
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
class _Spot:
    """A string node, its ancestors (its parent first) and the list it is an item of (None
    when it is not one)."""

    node: Node
    up: tuple[Node, ...]
    within: Node | None = None


def _spot(root: Node, node: Node) -> _Spot:
    up = _chain(root, node)
    for parent in up:
        if parent.type in _STOPS:
            break
        if parent.type in _LISTS:
            return _Spot(node, up, parent)
    return _Spot(node, up)


def _at(source: bytes, spot: _Spot, start: int, end: int, key: str, reason: str) -> Literal:
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


def _hcl(source: bytes, spot: _Spot) -> Iterator[Literal]:
    node = spot.node
    key, reason = "", ""
    for up in spot.up:
        if up.type == "function_call" and not reason:
            name = _text(source, up.children[0])
            if name in DERIVED:
                reason = f"argument of {name}(): the result is derived from it"
        elif up.type in ("attribute", "object_elem") and not key:
            key = _text(source, up.children[0]).strip('"')
    if node.type != "string_lit":
        # A quoted or heredoc template: with an interpolation it is reported (a range in it, or
        # one it may build), never changed; without one it is a plain string.
        if any(c.type == "template_interpolation" for c in node.children):
            why = reason or INTERPOLATED
            yield _at(source, spot, node.start_byte, node.end_byte, key, why)
        return
    start, end = node.children[0].end_byte, node.children[-1].start_byte
    escaped = b"\\" in source[start:end]
    yield _at(source, spot, start, end, key, _why(key, reason, escaped))


def _pair_key(source: bytes, spot: _Spot, pair_types: tuple[str, ...]) -> tuple[str, str]:
    """(the key whose value holds the node, "a key" when the node is itself a key)."""
    child = spot.node
    for up in spot.up:
        if up.type in pair_types:
            found = up.child_by_field_name("key")
            if found is not None and found.start_byte <= child.start_byte < found.end_byte:
                return "", "a key"
            return _text(source, found).strip("\"'"), ""
        child = up
    return "", ""


def _yaml(source: bytes, spot: _Spot) -> Iterator[Literal]:
    node = spot.node
    key, reason = _pair_key(source, spot, ("block_mapping_pair", "flow_pair"))
    for up in spot.up:
        if up.type == "flow_node" and any(
            c.type == "tag" and _text(source, c) == "!Sub" for c in up.children
        ):
            reason = reason or "built by interpolation (!Sub)"
        if up.type in ("block_mapping_pair", "flow_pair"):
            break
    start, end = node.start_byte, node.end_byte
    if node.type == "block_scalar":
        yield _at(source, spot, start, end, key, _why(key, reason) or "a block of text")
        return
    if node.type in ("double_quote_scalar", "single_quote_scalar"):
        start, end = start + 1, end - 1
    inner = source[start:end]
    escaped = b"\\" in inner if node.type == "double_quote_scalar" else b"''" in inner
    yield _at(source, spot, start, end, key, _why(key, reason, escaped, b"\n" in inner))


def _json(source: bytes, spot: _Spot) -> Iterator[Literal]:
    node = spot.node
    key, reason = _pair_key(source, spot, ("pair",))
    if not reason:
        for up in spot.up:
            name = up.child_by_field_name("key") if up.type == "pair" else None
            if name is not None and _text(source, name) == '"Fn::Sub"':
                reason = "built by interpolation (Fn::Sub)"
    start, end = node.start_byte + 1, node.end_byte - 1
    yield _at(source, spot, start, end, key, _why(key, reason, b"\\" in source[start:end]))


def _code_key(source: bytes, spot: _Spot) -> str:
    """The name the nearest keyword argument, property, variable or method gives the value."""
    for up in spot.up:
        field = _KEYS.get(up.type)
        if field is not None:
            named = up.child_by_field_name(field) or (up.children[0] if up.children else None)
            if named is not None and named.start_byte <= spot.node.start_byte < named.end_byte:
                return ""
            return _text(source, named).strip("\"'")
    return ""


def _code(source: bytes, spot: _Spot) -> Iterator[Literal]:
    """A string of Python, TypeScript or Ruby: its content between its quote tokens; with an
    interpolation, the whole string, reported, never changed."""
    node = spot.node
    key = _code_key(source, spot)
    parts = node.children
    if any(c.type in _INTERPOLATIONS for c in parts):
        yield _at(source, spot, node.start_byte, node.end_byte, key, INTERPOLATED)
        return
    if len(parts) < 2:
        return
    start, end = parts[0].end_byte, parts[-1].start_byte
    quote = _text(source, parts[0])
    escaped = any(c.type == "escape_sequence" for c in parts) or "r" in quote.lower()
    multi = b"\n" in source[start:end]
    yield _at(source, spot, start, end, key, _why(key, "", escaped, multi))
