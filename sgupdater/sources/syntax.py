"""Where the strings of a source file are, byte for byte (tree-sitter), and whether the
rewritten file still has the original's tree.

Only the strings and comments where the text of a range may stand are looked at in Python:
found from where a hint stands in the bytes (the grammar's node there, climbed to its string);
what each stands for (its span, key, list, and why it must not be rewritten) is contexts.py's.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sgupdater.errors import InputError
from sgupdater.sources import contexts
from sgupdater.sources.files import NEEDS_EXTRA

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Query

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
_LANGUAGES = {"typescript": "language_typescript"}


@dataclass(frozen=True, slots=True)
class Parsed:
    """A file's literals and comments that may name a range, and whether it parsed cleanly."""

    literals: tuple[contexts.Literal, ...]
    comments: tuple[contexts.Literal, ...]
    ok: bool
    # How many nodes the grammar's tree has: the same before and after a rewrite that changed
    # nothing but the text of string literals.
    nodes: int = 0
    # The list nodes the literals above are items of, by their first byte (see in_list).
    lists: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)
    # The grammar's tree, for an incremental parse of the rewritten bytes (reparse).
    tree: Any = field(default=None, compare=False, repr=False)
    # The items' texts of each list in_list had to walk, by its first byte: walked once.
    items: dict[int, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)


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
    read = contexts.READERS.get(name, contexts.code)
    wanted = tuple(hint.encode() for hint in hints)

    def holds(start: int, end: int) -> bool:
        # On the bytes in place: no slice, no decoding.
        return not wanted or any(source.find(hint, start, end) >= 0 for hint in wanted)

    root = tree.root_node
    strings, found = _candidates(name, source, root, wanted)
    spots = [contexts.spot_of(root, node) for node in strings]
    literals = [
        lit
        for spot in spots
        for lit in read(source, spot)
        if holds(lit.start, lit.end) or lit.reason.startswith(contexts.INTERPOLATED)
    ]
    comments = [
        contexts.at(source, contexts.Spot(n, ()), n.start_byte, n.end_byte, "", contexts.COMMENT)
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
    if within not in parsed.items:
        parsed.items[within] = _items(source, held)
    return text in parsed.items[within]


_STRINGS = frozenset({"string_lit", "double_quote_scalar", "single_quote_scalar", "plain_scalar",
                      "string", "template_string"})  # fmt: skip


def _items(source: bytes, held: Node) -> frozenset[str]:
    """The texts (quotes taken off) of the strings that are items of the list `held`."""
    texts = set()
    for node in _item_strings(held, depth=3):
        text = contexts.text_of(source, node)
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
        elif depth > 1 and child.type not in contexts.LISTS and child.type not in contexts.STOPS:
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
