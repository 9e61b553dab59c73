"""The YAML configuration file: targets, regions, filters and several CIDR mappings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sgupdater import kinds
from sgupdater.cidrs import Mapping, parse_cidr
from sgupdater.errors import ConfigError, InputError
from sgupdater.files import safe as files
from sgupdater.files.fields import depth_ok
from sgupdater.scope import TagCondition

MAX_BYTES = 1024 * 1024
# The bounds of --timeout and `timeout`: below a second is no network, beyond ten minutes a hang.
MIN_TIMEOUT, MAX_TIMEOUT = 1, 600
_TOP = {
    "targets", "regions", "filters", "direction", "mappings", "match", "scope", "timeout",
    "inventory",
}  # fmt: skip
# What to search besides security groups; each key is a flag's default.
_SCOPE = {
    "skip_managed", "renumber", *(a.key for a in kinds.allowances()),
    *(key for _, key in kinds.switches())
}  # fmt: skip
_TARGETS = {
    "profiles", "role_arns", "accounts", "role_name", "org_role", "exclude_accounts",
    "external_id", "session_name",
}  # fmt: skip
_FILTERS = {"group_ids", "vpc_ids", "include_tags", "exclude_tags", "managed_tags"}


@dataclass(frozen=True, slots=True)
class FileSettings:
    """What a configuration file sets; empty or None where it is silent."""

    targets: dict[str, Any]
    regions: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    vpc_ids: tuple[str, ...] = ()
    include_tags: frozenset[TagCondition] = frozenset()
    exclude_tags: frozenset[TagCondition] = frozenset()
    # None: the file is silent, and the default managed-by tags apply.
    managed_tags: tuple[TagCondition, ...] | None = None
    direction: str | None = None
    mappings: tuple[Mapping, ...] = ()
    match: str | None = None
    switches: frozenset[str] = frozenset()
    timeout: float | None = None
    # config:AGGREGATOR[@REGION], checked as --inventory is.
    inventory: str | None = None


def _keys(where: str, value: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )
    return value


def _string(where: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f"{where}: expected a string")
    return str(value)


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return (str(value),)
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a string or a list of strings")
    return tuple(_string(f"{where}[{i}]", item) for i, item in enumerate(value))


def parse_tag(where: str, text: str) -> TagCondition:
    """KEY=VALUE, or KEY alone for any value."""
    key, sep, value = text.partition("=")
    if not key:
        raise InputError(f"{where}: {text!r} is not KEY=VALUE or KEY")
    return (key, value if sep else None)


def _tags(where: str, value: Any) -> frozenset[TagCondition]:
    if isinstance(value, dict):
        return frozenset(
            (_string(f"{where}.{k}", k), None if v is None else _string(f"{where}.{k}", v))
            for k, v in value.items()
        )
    return frozenset(parse_tag(where, t) for t in _strings(where, value))


def _mappings(where: str, value: Any) -> tuple[Mapping, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: expected a list of {{from: CIDR, to: CIDR}}")
    found = []
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        entry = _keys(here, item, {"from", "to"})
        if "from" not in entry:
            raise ConfigError(f"{here}: 'from' is required")
        source = parse_cidr(_string(f"{here}.from", entry["from"]), option=f"{here}.from")
        target = None
        if entry.get("to") is not None:
            target = parse_cidr(_string(f"{here}.to", entry["to"]), option=f"{here}.to")
        found.append(Mapping(source, target))
    return tuple(found)


class _NoAliases(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: a configuration file never needs one.

    A "billion laughs" document of a few hundred bytes expands, through nested aliases, into
    more nodes than fit in memory; refusing every alias ends such a file at once.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event: Any = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in stubs
            raise ConfigError(
                f"{self.name}: line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) "
                "are not accepted in a configuration file; write the value out"
            )
        return super().compose_node(parent, index)


def _document(path: Path) -> Any:
    """The parsed YAML of a configuration file; unreadable or invalid is a ConfigError."""
    files.must_be_regular(path, "configuration file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"{path}: {size} bytes; a configuration file is at most 1 MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        loader = _NoAliases(text)
        loader.name = str(path)  # how its messages name the file
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a configuration file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{path}: not valid YAML{at}: {problem}") from None
    depth_ok(str(path), document)
    return document


def load(path: Path) -> FileSettings:
    """Read and check a configuration file; every problem is a ConfigError naming the key."""
    document = _document(path)
    top = _keys(str(path), document if document is not None else {}, _TOP)
    targets = _keys(f"{path}: targets", top.get("targets", {}), _TARGETS)
    checked: dict[str, Any] = {}
    for key, value in targets.items():
        where = f"{path}: targets.{key}"
        single = key in ("role_name", "org_role", "external_id", "session_name")
        checked[key] = _string(where, value) if single else _strings(where, value)
    filters = _keys(f"{path}: filters", top.get("filters", {}), _FILTERS)
    direction = top.get("direction")
    if direction is not None and direction not in ("ingress", "egress", "both"):
        raise ConfigError(f"{path}: direction: expected ingress, egress or both")
    match = top.get("match")
    if match is not None and match not in ("exact", "within"):
        raise ConfigError(f"{path}: match: expected exact or within")
    scope = _keys(f"{path}: scope", top.get("scope", {}), _SCOPE)
    for key, value in scope.items():
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: scope.{key}: expected true or false")
    return FileSettings(
        targets=checked,
        regions=_strings(f"{path}: regions", top["regions"]) if "regions" in top else (),
        group_ids=_strings(f"{path}: filters.group_ids", filters.get("group_ids", [])),
        vpc_ids=_strings(f"{path}: filters.vpc_ids", filters.get("vpc_ids", [])),
        include_tags=_tags(f"{path}: filters.include_tags", filters.get("include_tags", [])),
        exclude_tags=_tags(f"{path}: filters.exclude_tags", filters.get("exclude_tags", [])),
        managed_tags=(
            tuple(sorted(_tags(f"{path}: filters.managed_tags", filters["managed_tags"]), key=str))
            if "managed_tags" in filters
            else None
        ),
        direction=direction,
        mappings=_mappings(f"{path}: mappings", top["mappings"]) if "mappings" in top else (),
        match=match,
        switches=frozenset(k for k, v in scope.items() if v),
        timeout=_timeout(f"{path}: timeout", top["timeout"]) if "timeout" in top else None,
        inventory=_string(f"{path}: inventory", top["inventory"]) if "inventory" in top else None,
    )


def _timeout(where: str, value: Any) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        raise ConfigError(f"{where}: expected seconds from {MIN_TIMEOUT} to {MAX_TIMEOUT}")
    return float(value)
