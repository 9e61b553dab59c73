"""A JSON document written field by field and row by row, as json.dump(indent=2) would write it.

A big plan or a big tree's findings is then never one object in memory, and a flat row (text,
numbers, booleans) is written with json's C string encoder: json falls back to its Python
encoder whenever it indents, a second for every 100,000 rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from json.encoder import encode_basestring_ascii
from typing import IO

# A field of the document: a value written as a whole, or the rows of a list one by one.
Field = tuple[str, object]


def _scalar(value: object) -> str | None:
    """The JSON of a flat value (as json.dumps writes it); None for anything else."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return repr(value) if type(value) is int else None


def row(value: object, depth: int) -> str:
    """`value` as json.dumps(value, indent=2) writes it, every line after the first indented
    by `depth` levels."""
    if isinstance(value, Mapping) and value and all(isinstance(k, str) for k in value):
        inner = "\n" + "  " * (depth + 1)
        parts = [(encode_basestring_ascii(k), _scalar(v)) for k, v in value.items()]
        if all(text is not None for _, text in parts):
            lines = ",".join(f"{inner}{key}: {text}" for key, text in parts)
            return "{" + lines + "\n" + "  " * depth + "}"
    return json.dumps(value, indent=2).replace("\n", "\n" + "  " * depth)


def document(out: IO[str], fields: Sequence[Field]) -> None:
    """One JSON object: each field's value whole, or an iterator's rows one at a time."""
    out.write("{")
    for n, (name, value) in enumerate(fields):
        out.write(("\n" if n == 0 else ",\n") + f"  {json.dumps(name)}: ")
        if isinstance(value, Iterator):
            _rows(out, value)
        else:
            out.write(row(value, 1))
    out.write("\n}\n")


def _rows(out: IO[str], rows: Iterator[object]) -> None:
    """A list written a thousand rows at a time: as few writes as a whole, as little memory as
    a row."""
    first = True
    while True:
        chunk = [row(value, 2) for _, value in zip(range(1000), rows, strict=False)]
        if not chunk:
            break
        out.write(("[\n    " if first else ",\n    ") + ",\n    ".join(chunk))
        first = False
    out.write("[]" if first else "\n  ]")
