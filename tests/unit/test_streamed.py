"""The JSON documents written row by row read as json.dump(indent=2) writes them, byte for byte."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from sgupdater.output import streamed

_SCALARS = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_ROWS = st.dictionaries(st.text(), _VALUES, max_size=6)


@given(
    head=st.dictionaries(
        st.text().filter(lambda k: k not in ("rows", "flat")), _VALUES, max_size=3
    ),
    rows=st.lists(_ROWS | _VALUES, max_size=5),
    many=st.integers(min_value=0, max_value=2500),
)
def test_a_streamed_document_is_what_json_writes(
    head: dict[str, object], rows: list[object], many: int
) -> None:
    # `many` flat rows cross the thousand-row chunks the writer joins.
    flat = [{"path": f"m/é{n}.tf", "line": n, "keep": n % 2 == 0, "why": None} for n in range(many)]
    out = io.StringIO()
    streamed.document(out, [*head.items(), ("rows", iter(rows)), ("flat", iter(flat))])
    whole = {**head, "rows": rows, "flat": flat}
    assert out.getvalue() == json.dumps(whole, indent=2) + "\n"
