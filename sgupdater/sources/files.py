"""Which files under the paths are sources, and in which format: by name, then by content."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sgupdater.errors import InputError

if TYPE_CHECKING:
    import pathspec

NEEDS_EXTRA = "rewrite and --source need the iac extra: pip install 'sgupdater[iac]'"
# Formats decided by name alone.
_BY_SUFFIX = {".tf": ("terraform", "hcl"), ".tfvars": ("terraform variables", "hcl")}
_YAML = (".yaml", ".yml")
# Piculet's DSL (the Ruby tool sgupdater began beside): its files and the words that mark one.
_GROUPFILE = "Groupfile"
_PICULET = (b"security_group", b"ip_ranges")
# Past this a file is not a source anyone edits by hand (generated or data): left out, said so.
MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Source:
    """A file to read: its path, what it is (reported), and the grammar that reads it."""

    path: Path
    format: str
    grammar: str


def format_of(path: Path, head: bytes) -> tuple[str, str] | None:
    """(what the file is, its grammar) from its name and first bytes; None: not a source."""
    name = path.name
    if name.endswith((".tf.json", ".tfvars.json")):
        return ("terraform JSON", "json")
    if path.suffix in _BY_SUFFIX:
        return _BY_SUFFIX[path.suffix]
    if path.suffix in _YAML or path.suffix == ".template":
        if b"AWS::Serverless" in head:
            return ("SAM template", "yaml")
        if b"AWSTemplateFormatVersion" in head or b"AWS::" in head:
            return ("CloudFormation template", "yaml")
        if b"apiVersion:" in head and b"kind:" in head:
            return ("Kubernetes manifest", "yaml")
        if name.startswith("values") or path.parent.name == "values":
            return ("Helm values", "yaml")
        return ("YAML", "yaml") if path.suffix != ".template" else None
    if path.name == _GROUPFILE or path.suffix == ".groupfile":
        return ("Piculet Groupfile", "ruby")
    if path.suffix == ".rb" and any(word in head for word in _PICULET):
        return ("Piculet Groupfile", "ruby")
    if path.suffix == ".py" and b"aws_cdk" in head:
        return ("CDK app (Python)", "python")
    if path.suffix == ".ts" and not name.endswith(".d.ts") and b"aws-cdk" in head:
        return ("CDK app (TypeScript)", "typescript")
    if path.suffix == ".json":
        if b"AWSTemplateFormatVersion" in head or b'"AWS::' in head:
            return ("CloudFormation template", "json")
        return None
    return None


def _ignored(directory: Path, rules: list[tuple[Path, pathspec.GitIgnoreSpec]], path: Path) -> bool:
    for base, spec in rules:
        relative = path.relative_to(base).as_posix()
        if spec.match_file(relative + ("/" if path.is_dir() else "")):
            return True
    return False


def _gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    found = directory / ".gitignore"
    if not found.is_file():
        return None
    try:
        import pathspec
    except ImportError:
        raise InputError(NEEDS_EXTRA) from None
    lines = found.read_text("utf-8", "replace").splitlines()
    spec: pathspec.GitIgnoreSpec = pathspec.GitIgnoreSpec.from_lines(lines)
    return spec


def walk(paths: list[Path]) -> Iterator[Path]:
    """Every file under the paths, in order; hidden and .gitignored ones left out unless named."""
    for given in paths:
        if not given.exists():
            raise InputError(f"{given}: no such file or directory")
        if given.is_file():
            yield given
            continue
        yield from _walk_dir(given, [])


def _walk_dir(directory: Path, rules: list[tuple[Path, pathspec.GitIgnoreSpec]]) -> Iterator[Path]:
    spec = _gitignore(directory)
    here = [*rules, (directory, spec)] if spec is not None else rules
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name.startswith(".") or entry.is_symlink() or _ignored(directory, here, path):
            continue
        if entry.is_dir():
            yield from _walk_dir(path, here)
        elif entry.is_file():
            yield path


def sources(paths: list[Path]) -> tuple[list[Source], dict[str, int]]:
    """The source files under the paths, and what was left out by kind (counted)."""
    found: list[Source] = []
    left: dict[str, int] = {}
    for path in walk(paths):
        try:
            with path.open("rb") as handle:
                head = handle.read(64 * 1024)
            size = path.stat().st_size
        except OSError:
            left["unreadable"] = left.get("unreadable", 0) + 1
            continue
        kind = format_of(path, head)
        if kind is None:
            if path in paths:
                # Named on the command line, yet not a format rewrite reads: said, not skipped.
                left["named but of no format read"] = left.get("named but of no format read", 0) + 1
            continue
        if size > MAX_BYTES:
            left["over 8 MiB"] = left.get("over 8 MiB", 0) + 1
            continue
        found.append(Source(path, *kind))
    return found, left
