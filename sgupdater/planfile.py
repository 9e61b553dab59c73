"""Reviewed plans: a dry run's changes written to a file, applied later exactly as reviewed."""

from __future__ import annotations

import ipaddress
import json
import time
from pathlib import Path
from typing import Any

from sgupdater import __version__
from sgupdater._types import AccountId, Region
from sgupdater.errors import ConfigError
from sgupdater.journal import (
    RuleRecord,
    credentials_from,
    credentials_record,
    list_record,
    list_ref,
    rule_record,
)
from sgupdater.models import Change, Plan, Target, TargetResult
from sgupdater.rollback import rule_from_record

FORMAT_VERSION = 1
KIND = "sgupdater-plan"
MAX_BYTES = 64 * 1024 * 1024


def write(path: Path, command: str, results: list[TargetResult]) -> int:
    """Write the plans of these results; the number of changes written."""
    targets = []
    count = 0
    for result in results:
        if result.error is not None or not result.plan.changes:
            continue
        changes = [
            {
                "action": c.action,
                "rule": rule_record(c.rule),
                "new_cidr": str(c.new_cidr) if c.new_cidr is not None else None,
                "prefix_list": list_record(c.prefix_list),
                "reason": c.reason,
            }
            for c in result.plan.changes
        ]
        count += len(changes)
        targets.append(
            {
                **credentials_record(result.target.credentials),
                "account": result.account or result.target.account,
                "alias": result.target.alias,
                "region": result.target.region,
                "changes": changes,
            }
        )
    document = {
        "format_version": FORMAT_VERSION,
        "kind": KIND,
        "tool_version": __version__,
        "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "targets": targets,
    }
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the plan {path}: {exc.strerror or exc}") from None
    return count


def _change(where: str, raw: Any, account: str | None, region: str) -> Change:
    try:
        record: RuleRecord = raw["rule"]
        action = raw["action"]
        if action not in ("modify", "authorize", "revoke", "create"):
            raise ValueError(f"unknown action {action!r}")
        new = raw.get("new_cidr")
        rule = rule_from_record(record, account, region, record["cidr"])
        return Change(
            action,
            rule,
            ipaddress.ip_network(new) if new else None,
            str(raw.get("reason", "")),
            list_ref(raw.get("prefix_list")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: not a valid change ({exc})") from None


def read(path: Path) -> tuple[str, dict[Target, Plan]]:
    """The command and per-target plans of a plan file; anything off is a ConfigError."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{path}: larger than a plan file can be")
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not a plan file (not complete JSON; truncated?)") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise ConfigError(f"{path}: not a sgupdater plan file")
    if document.get("format_version") != FORMAT_VERSION:
        raise ConfigError(
            f"{path}: plan format version {document.get('format_version')!r}; "
            f"this sgupdater reads version {FORMAT_VERSION}"
        )
    plans: dict[Target, Plan] = {}
    try:
        for i, raw in enumerate(document["targets"]):
            account, region = raw.get("account"), raw["region"]
            creds = credentials_from(raw)
            target = Target(
                Region(region), creds, AccountId(account) if account else None, raw.get("alias")
            )
            where = f"{path}: targets[{i}]"
            changes = tuple(
                _change(f"{where}.changes[{j}]", c, account, region)
                for j, c in enumerate(raw["changes"])
            )
            plans[target] = Plan(changes, tuple(c.rule for c in changes))
        return str(document.get("command", "apply")), plans
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a valid plan file (missing {exc})") from None
