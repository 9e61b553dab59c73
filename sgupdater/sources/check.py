"""After a rewrite, the file still means what it meant, but for the rewritten values.

JSON, YAML and Python: their own parsers (json; PyYAML with every tag kept; ast) read the file
before and after, and the two trees must be equal leaf for leaf, except where a leaf holds a
rewritten literal, which must then hold the new text in its place. HCL has no such parser fast
enough to run on every file (python-hcl2 took 0.1 s for a 5 KB file: a thousand seconds for
ten thousand files), nor have TypeScript and Ruby one here: for them the grammar is the parser,
and the rewritten file's tree must have the original's node kinds nested alike (their
S-expressions equal); the bytes outside the rewritten literals are untouched by construction, so
the trees are equal but for those literals. For every format the rewritten file must also parse
without an error into as many nodes (sources/rewrite.py).
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


def _events(text: str) -> list[list[Any]]:
    """A YAML stream as its parser's events: kind, tag (CloudFormation's !Ref kept), value.

    The events, not the objects built from them: the same document structure and scalars
    with a third of the work of constructing them (1 ms a 5 KB template)."""
    return [
        [type(event).__name__, getattr(event, "tag", None), getattr(event, "value", None)]
        for event in yaml.parse(text, Loader=_SAFE)
    ]


def _plain(node: Any) -> Any:
    """A Python syntax tree as dicts and lists (positions left out), for same_but."""
    if isinstance(node, ast.AST):
        return {"_": type(node).__name__, **{k: _plain(v) for k, v in ast.iter_fields(node)}}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


def load(grammar: str, text: str) -> Any:
    """The file as its format's own parser reads it (json, yaml, python); ValueError when it
    cannot."""
    try:
        if grammar == "json":
            return json.loads(text)
        if grammar == "python":
            return _plain(ast.parse(text))
        return _events(text)
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
