"""`--source PATH`: for each resource owned by code, where its range stands in the sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import typer

from sgupdater.engine.planner import Request
from sgupdater.models import Entry, TargetResult
from sgupdater.sources import files, rewrite
from sgupdater.sources.literals import Rules, hints
from sgupdater.sources.rewrite import Finding, Rewritten

# The items of a literal that lists ranges ("a,b" or "a, b"; one range is a list of one).
_ITEM = re.compile(r",\s*")
# Which sources a resource's `managed` mark points at, by what the mark begins with.
_FAMILIES = {
    "cloudformation": ("CloudFormation template", "SAM template"),
    "terraform": ("terraform", "terraform variables", "terraform JSON"),
    "kubernetes": ("Kubernetes manifest", "Helm values"),
}


def _found(paths: Sequence[Path], request: Request) -> list[Rewritten]:
    # Nothing is changed here: every literal naming a matched range is a place to change.
    sources, _ = files.sources(list(paths))
    rules = Rules(request.resolve, allow_open_world=True, hints=hints(request.ranges()))
    return rewrite.rewrite_all(sources, rules)


def _family(managed: str) -> tuple[str, ...]:
    lowered = managed.lower()
    for mark, formats in _FAMILIES.items():
        if mark in lowered:
            return formats
    return ()


def _where(entry: Entry, found: Sequence[Rewritten]) -> list[tuple[Rewritten, Finding]]:
    """The findings naming the entry's range in the sources its mark points at: a stack's
    templates whose path names the stack, a Service's or Ingress's manifests that declare it,
    else every source of its family."""
    formats = _family(entry.managed)
    stack = entry.managed.partition(":")[2].lower()
    # A Kubernetes Service or Ingress is named by the manifest that declares it.
    named_in = entry.managed.rpartition("/")[2] if entry.managed.startswith("kubernetes:") else ""
    pairs = [
        (done, f)
        for done in found
        if not formats or done.source.format in formats
        for f in done.findings
        if str(entry.cidr) in _ITEM.split(f.old)
    ]
    if named_in:
        kind = b"kind: Ingress" if "ingress " in entry.managed else b"kind: Service"
        declared = f"name: {named_in}".encode()
        named = [(d, f) for d, f in pairs if declared in d.before and kind in d.before]
    else:
        named = [(d, f) for d, f in pairs if stack and stack in str(d.source.path).lower()]
    return named or pairs


@dataclass(frozen=True, slots=True)
class Place:
    """A code-owned container's matched range and the places in the sources holding it."""

    container_id: str
    cidr: str
    managed: str
    # file:line:column, one for each literal (none: not found under the paths).
    spots: tuple[str, ...]


class Places:
    """`--source PATH...` for one run: the places, found once, for the JSON report (`fields`)
    and the lines on stderr (`report`)."""

    def __init__(self, paths: Sequence[Path], request: Request) -> None:
        self._paths = tuple(paths)
        self._request = request
        self._found: list[Place] | None = None

    def of(self, results: Sequence[TargetResult]) -> list[Place]:
        """Each code-owned container matched, once, with where its range stands."""
        if self._found is None:
            owned = [e for r in results for e in r.plan.matched if e.managed]
            found = _found(self._paths, self._request) if owned else []
            seen: set[tuple[str, str]] = set()
            self._found = []
            for entry in owned:
                key = (entry.container_id, str(entry.cidr))
                if key not in seen:
                    seen.add(key)
                    spots = tuple(f"{f.path}:{f.line}:{f.column}" for _, f in _where(entry, found))
                    self._found.append(Place(*key, entry.managed, spots))
        return self._found

    def fields(self, results: Sequence[TargetResult]) -> list[tuple[str, object]]:
        """The JSON report's `sources` field: a row for each place."""
        rows = [{"container_id": p.container_id, "cidr": p.cidr, "managed": p.managed,
                 "places": list(p.spots)} for p in self.of(results)]  # fmt: skip
        return [("sources", rows)]

    def report(self, results: Sequence[TargetResult]) -> None:
        """On stderr: each code-owned container with the file:line:column holding its range."""
        for place in self.of(results):
            head = f"sgupdater: owned by code ({place.managed}): {place.container_id} {place.cidr}"
            if not place.spots:
                typer.echo(f"{head}: not found under {', '.join(map(str, self._paths))}", err=True)
            else:
                typer.echo(f"{head}: change it at {', '.join(place.spots)}", err=True)
