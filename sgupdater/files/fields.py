"""Checked reading of the objects files hold: every field's type and allowed values.

Plan files and journals are input like the command line: passed around for approval, kept on
disks, possibly edited. Each reader names the field it refuses, as path.to.field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from sgupdater._types import Cidr
from sgupdater.errors import ConfigError

# How deep a plan, journal line or configuration file may nest; ours nest at most 5.
MAX_DEPTH = 32
_TEXT_LIMIT = 1024


def depth_ok(where: str, value: Any) -> None:
    """Refuse a document nested deeper than any sgupdater writes (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            raise ConfigError(f"{where}: nested more than {MAX_DEPTH} levels deep")
        children: Iterable[Any] = ()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        stack.extend((child, level + 1) for child in children)


class Fields:
    """An object read from a file, whose fields are taken one by one, each checked."""

    def __init__(self, where: str, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected an object")
        self.where = where
        self.raw = raw

    def fail(self, key: str, problem: str) -> ConfigError:
        """The error naming one field."""
        return ConfigError(f"{self.where}.{key}: {problem}")

    def has(self, key: str) -> bool:
        """True when the field is present and not null."""
        return self.raw.get(key) is not None

    def text(self, key: str, *, optional: bool = False, pattern: str | None = None) -> str:
        """A string field ("" for an absent optional one)."""
        value = self.raw.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str):
            raise self.fail(key, "expected a string")
        if len(value) > _TEXT_LIMIT:
            raise self.fail(key, f"longer than {_TEXT_LIMIT} characters")
        if pattern is not None and value and not re.fullmatch(pattern, value, re.ASCII):
            raise self.fail(key, f"{value!r} is not of the expected form")
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        """An integer field within [low, high]."""
        value = self.raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "expected a whole number")
        if not low <= value <= high:
            raise self.fail(key, f"{value} is outside {low}..{high}")
        return value

    def choice(self, key: str, allowed: Iterable[str]) -> str:
        """A string field with one of these values."""
        values = list(allowed)
        value = self.raw.get(key)
        if value not in values:
            raise self.fail(key, f"{value!r} is not one of {', '.join(map(repr, values))}")
        return str(value)

    def cidr(self, key: str) -> Cidr:
        """A CIDR in canonical form, as sgupdater writes it."""
        text = self.text(key)
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError:
            raise self.fail(key, f"{text!r} is not a canonical IPv4 or IPv6 CIDR") from None
        if str(network) != text:
            raise self.fail(key, f"{text!r} is not written as sgupdater writes it ({network})")
        return network

    def sub(self, key: str) -> Fields:
        """A nested object field."""
        return Fields(f"{self.where}.{key}", self.raw.get(key))

    def items(self, key: str) -> list[Any]:
        """A list field."""
        value = self.raw.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return value
