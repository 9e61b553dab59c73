"""The code's shape: small modules and functions, and no kind named outside kinds/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = sorted(
    path
    for folder in ("sgupdater", "testkit", "tests", "bench", "scripts")
    for path in (ROOT / folder).rglob("*.py")
)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name} is {length} lines"


def test_only_kinds_name_a_kind() -> None:
    # A kind's name or id prefix outside kinds/ means the pipeline branches on a kind.
    pattern = re.compile(
        r'"(prefix-list|nacl|ip-set|cloudfront-ip-set|iam-policy|bucket-policy)"|startswith\("(sg|pl|acl)-'
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "sgupdater").rglob("*.py")
        if "kinds" not in path.relative_to(ROOT / "sgupdater").parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
