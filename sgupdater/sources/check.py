"""After a rewrite, the file still means what it meant, but for the rewritten values.

JSON, YAML and Python: their own parsers (json; libyaml's events, tags kept; ast) read the file
before and after, and the two must be equal leaf for leaf, except where a leaf holds a
rewritten literal, which must then hold the new text in its place. HCL has no such parser fast
enough to run on every file (python-hcl2 took 0.1 s for a 5 KB file: a thousand seconds for
ten thousand files), nor have TypeScript and Ruby one here: for them the grammar is the parser
(syntax.reparse): the rewritten file must parse without an error, and tree-sitter must find no
range whose nodes' nesting changed, so every byte has the ancestors it had.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from typing import Any

import yaml

# (old text, new text) of every literal rewritten in the file.
Pairs = Sequence[tuple[str, str]]


# libyaml's parser when PyYAML was built with it, else the pure-Python one.
_SAFE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_differs(before: str, after: str, pairs: Pairs) -> str:
    """Where two YAML streams' parser events differ other than by the rewrites ("" nowhere).

    The events, not the objects built from them: the same document structure, tags
    (CloudFormation's !Ref kept) and scalars for a third of the work of constructing them;
    read from both parsers side by side, so neither stream is ever held whole."""
    old, new = _SAFE(before), _SAFE(after)
    try:
        while True:
            first, second = old.get_event(), new.get_event()
            if first is None or second is None:
                return "" if first is second else "a document ends early"
            if type(first) is not type(second) or getattr(first, "tag", None) != getattr(
                second, "tag", None
            ):
                return f"{first} became {second}"
            value, other = getattr(first, "value", None), getattr(second, "value", None)
            if value != other and not _leaf_ok(value, other, pairs):
                return f"{value!r} became {other!r}"
    finally:
        old.dispose()
        new.dispose()


def _plain(node: Any) -> Any:
    """A Python syntax tree as dicts and lists (positions left out), for same_but."""
    if isinstance(node, ast.AST):
        return {"_": type(node).__name__, **{k: _plain(v) for k, v in ast.iter_fields(node)}}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


def differs(grammar: str, before: str, after: str, pairs: Pairs) -> str:
    """Where the file read by its format's own parser (json, yaml, python) differs from the
    rewritten one other than by the rewrites ("" nowhere); ValueError when either does not
    parse."""
    try:
        if grammar == "yaml":
            return _yaml_differs(before, after, pairs)
        load = json.loads if grammar == "json" else (lambda text: _plain(ast.parse(text)))
        return same_but(load(before), load(after), pairs)
    except Exception as exc:  # each parser raises its own; all mean "does not parse"
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ValueError(f"{type(exc).__name__}: {first}") from None


def _leaf_ok(before: Any, after: Any, pairs: Pairs) -> bool:
    if before == after:
        return True
    if not isinstance(before, str) or not isinstance(after, str):
        return False
    return any(old in before and before.replace(old, new) == after for old, new in pairs)


def same_but(before: Any, after: Any, pairs: Pairs) -> str:
    """Where two parsed trees differ other than by the rewrites ("" when nowhere)."""
    if before == after:
        # Compared in C at once: only what differs is walked.
        return ""
    if isinstance(before, dict) and isinstance(after, dict):
        if len(before) != len(after):
            return "a key was added or lost"
        for (k1, v1), (k2, v2) in zip(before.items(), after.items(), strict=True):
            if not _leaf_ok(k1, k2, pairs):
                return f"key {k1!r} became {k2!r}"
            found = same_but(v1, v2, pairs)
            if found:
                return f"{k1}: {found}"
        return ""
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return "a list changed length"
        for n, (v1, v2) in enumerate(zip(before, after, strict=True)):
            found = same_but(v1, v2, pairs) if v1 != v2 else ""
            if found:
                return f"[{n}]: {found}"
        return ""
    return "" if _leaf_ok(before, after, pairs) else f"{before!r} became {after!r}"
