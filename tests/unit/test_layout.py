"""The code's shape: small modules and functions, no kind named or imported outside kinds/, and
no lower layer importing a higher one."""

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


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every `from … import …` of a source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, []) for a in node.names)
    return found


PACKAGE = ROOT / "sgupdater"
# What a kind is made of: its folder, and the helpers kinds share.
KIND_PARTS = {
    p.stem for p in (PACKAGE / "kinds").iterdir() if p.stem not in ("__init__", "interface")
}


def test_outside_kinds_only_the_registry_and_the_interface_are_imported() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "kinds"
        for line, module, names in _imports(path)
        if (module.startswith("sgupdater.kinds.") and module != "sgupdater.kinds.interface")
        or (module == "sgupdater.kinds" and KIND_PARTS & set(names))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("folder", "never"),
    [
        # The engine never reaches up into the command line or the rendering of outputs.
        ("engine", ("sgupdater.cli", "sgupdater.output")),
        # File formats are read and written without any stage, feature or command.
        ("files", ("sgupdater.engine", "sgupdater.cli", "sgupdater.output", "sgupdater.kinds.")),
        # The SDK's side knows nothing of what runs on it.
        ("aws", ("sgupdater.engine", "sgupdater.cli", "sgupdater.kinds", "sgupdater.files")),
        # Source files are read and rewritten without AWS, any stage or any command.
        (
            "sources",
            (
                "sgupdater.engine",
                "sgupdater.cli",
                "sgupdater.output",
                "sgupdater.kinds",
                "sgupdater.aws",
                "sgupdater.files",
            ),
        ),
    ],
)
def test_lower_layers_never_import_higher_ones(folder: str, never: tuple[str, ...]) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in (PACKAGE / folder).rglob("*.py")
        for line, module, _ in _imports(path)
        if module.startswith(never)
    ]
    assert found == []
