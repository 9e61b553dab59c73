"""Plans, journals and config files are input: edited or broken ones open nothing, drop nothing.

One test per finding of the review: each reads the final state back from the local EC2.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def seed(aws: Aws) -> str:
    ssh, https = perm("tcp", 22, cidrs=(A,), description="ssh"), perm("tcp", 443, cidrs=(A,))
    return helpers.web(aws.ec2(), ssh, https)


def planned(cli: Cli, path: Path, *extra: str) -> dict[str, Any]:
    run = cli(
        "update", "--from-cidr", A, "--to-cidr", B, "--dry-run", "--plan-out", str(path), *extra
    )
    assert run.code == 0, run.err
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def rewrite(path: Path, document: dict[str, Any]) -> None:
    path.unlink()
    path.write_text(json.dumps(document))


def test_a_plan_edited_to_open_the_world_is_refused(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    before = helpers.rules(aws.ec2(), group)
    path = tmp_path / "plan.json"
    document = planned(cli, path)
    document["targets"][0]["changes"][0]["new_cidr"] = "0.0.0.0/0"
    rewrite(path, document)
    run = cli("apply", str(path), "--yes")
    assert run.code == 2
    assert "changes[0].new_cidr: the change allows 0.0.0.0/0" in run.err
    assert "--allow-open-world" in run.err
    assert helpers.rules(aws.ec2(), group) == before
    assert cli("apply", str(path), "--yes", "--allow-open-world").code == 0
    assert ("ingress", "tcp", 22, 22, "0.0.0.0/0", "ssh") in helpers.rules(aws.ec2(), group)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("new_cidr", None, "changes[1].new_cidr: a modify needs the CIDR it allows"),
        ("new_cidr", "2001:db8::/32", "is not of the IP family"),
        ("action", "authorize", None),
    ],
)
def test_a_broken_change_stops_the_whole_plan_before_any_call(
    aws: Aws, cli: Cli, tmp_path: Path, field: str, value: Any, message: str | None
) -> None:
    group = seed(aws)
    before = helpers.rules(aws.ec2(), group)
    path = tmp_path / "plan.json"
    document = planned(cli, path)
    change = document["targets"][0]["changes"][1]
    change[field] = value
    if field == "action":
        change["new_cidr"] = None  # an authorize with nothing to allow
        message = "changes[1].new_cidr: a authorize needs the CIDR it allows"
    rewrite(path, document)
    run = cli("apply", str(path), "--yes")
    assert run.code == 2
    assert message is not None
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert helpers.rules(aws.ec2(), group) == before


def test_a_sideways_direction_is_refused(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    path = tmp_path / "plan.json"
    document = planned(cli, path)
    document["targets"][0]["changes"][0]["rule"]["direction"] = "sideways"
    rewrite(path, document)
    run = cli("apply", str(path), "--yes")
    assert (run.code, "rule.direction: 'sideways' is not one of" in run.err) == (2, True)
    assert ("ingress", "tcp", 22, 22, A, "ssh") in helpers.rules(aws.ec2(), group)


def test_apply_binds_to_the_reviewed_digest(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    path = tmp_path / "plan.json"
    planned(cli, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    document = json.loads(path.read_text())
    document["targets"][0]["changes"] = document["targets"][0]["changes"][:1]
    rewrite(path, document)
    run = cli("apply", str(path), "--sha256", digest, "--yes")
    assert run.code == 2
    assert "not the" in run.err
    assert "that was reviewed; nothing applied" in run.err
    assert ("ingress", "tcp", 22, 22, A, "ssh") in helpers.rules(aws.ec2(), group)
    now = hashlib.sha256(path.read_bytes()).hexdigest()
    assert cli("apply", str(path), "--sha256", now.upper(), "--yes").code == 0


def test_a_plan_for_another_account_sends_nothing_there(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    before = helpers.rules(aws.ec2(), group)
    path = tmp_path / "plan.json"
    document = planned(cli, path)
    document["targets"][0]["account"] = "999999999999"
    rewrite(path, document)
    run = cli("apply", str(path), "--yes", "-o", "json")
    assert run.code == 1
    assert "reach account 123456789012, not 999999999999" in run.err
    assert helpers.rules(aws.ec2(), group) == before


def journal_of(cli: Cli, path: Path) -> list[dict[str, Any]]:
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(path))
    assert run.code == 0, run.err
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_lines(path: Path, lines: list[dict[str, Any]]) -> None:
    path.unlink()
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_an_edited_after_line_is_refused(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    path = tmp_path / "run.jsonl"
    lines = journal_of(cli, path)
    moved = helpers.rules(aws.ec2(), group)
    after = next(r for r in lines if r["event"] == "after")
    after["new_cidr"] = "0.0.0.0/0"
    write_lines(path, lines)
    run = cli("rollback", str(path), "--yes")
    assert run.code == 2
    assert "disagrees with its before line" in run.err
    # Edited so far that it names another rule: an applied change nobody journalled before.
    after["new_cidr"], after["rule"]["cidr"] = B, "0.0.0.0/0"
    write_lines(path, lines)
    run = cli("rollback", str(path), "--yes")
    assert run.code == 2
    assert "an applied change with no before line" in run.err
    assert helpers.rules(aws.ec2(), group) == moved


def test_a_journal_claiming_the_rule_was_open_needs_the_flag(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    group = seed(aws)
    path = tmp_path / "run.jsonl"
    lines = journal_of(cli, path)
    for line in lines:
        if line.get("rule", {}).get("from_port") == 22:
            line["rule"]["cidr"] = "0.0.0.0/0"
    write_lines(path, lines)
    moved = helpers.rules(aws.ec2(), group)
    run = cli("rollback", str(path), "--yes")
    assert run.code == 2
    assert "the journal claims the rule allowed 0.0.0.0/0" in run.err
    assert helpers.rules(aws.ec2(), group) == moved


def test_a_change_with_no_after_line_is_settled_not_dropped(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    group = seed(aws)
    before = helpers.rules(aws.ec2(), group)
    path = tmp_path / "run.jsonl"
    lines = journal_of(cli, path)
    # What kill -9 between the call and the write leaves: the before lines, no after lines.
    write_lines(path, [r for r in lines if r["event"] != "after"])
    run = cli("rollback", str(path), "--yes", "-o", "json")
    assert run.code == 0, run.err
    assert "2 in doubt" in run.err
    assert helpers.rules(aws.ec2(), group) == before
    # Again: now the rules are in their old state, so the in-doubt changes were "never made".
    again = cli("rollback", str(path), "--yes", "-o", "json")
    details = {c["detail"] for c in json.loads(again.out)["changes"]}
    assert details == {"in doubt: the change was never made; nothing to undo"}
    assert helpers.rules(aws.ec2(), group) == before


@pytest.mark.parametrize("kind", ["config", "plan", "journal"])
def test_deeply_nested_input_is_one_line_and_exit_2(cli: Cli, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"deep.{kind}"
    if kind == "config":
        path.write_text("targets: " + "[" * 5000 + "]" * 5000 + "\n")
        run = cli("show", "--from-cidr", A, "--config", str(path))
    elif kind == "plan":
        path.write_text(
            '{"format_version": 1, "kind": "sgupdater-plan", "targets": '
            + "[" * 50000
            + "]" * 50000
            + "}"
        )
        run = cli("apply", "--yes", str(path))
    else:
        path.write_text('{"format_version": 1, "x": ' + "[" * 50000 + "]" * 50000 + "}\n")
        run = cli("rollback", "--yes", str(path))
    assert run.code == 2, run.err
    assert len(run.err.strip().splitlines()) == 1
    assert "nested" in run.err


def test_journal_and_plan_paths_must_be_new(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    group = seed(aws)
    before = helpers.rules(aws.ec2(), group)
    taken = tmp_path / "taken"
    taken.write_text("")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    for flag in ("--journal", "--plan-out"):
        for path in (taken, link):
            extra = ("--dry-run",) if flag == "--plan-out" else ("--yes",)
            run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, flag, str(path), *extra)
            assert run.code == 2
            assert "exists" in run.err
    assert not (tmp_path / "elsewhere").exists()
    assert helpers.rules(aws.ec2(), group) == before
    journal = tmp_path / "new.jsonl"
    journal_of(cli, journal)
    assert journal.stat().st_mode & 0o777 == 0o600


def test_a_plan_others_can_write_gets_a_warning(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    seed(aws)
    path = tmp_path / "plan.json"
    planned(cli, path)
    os.chmod(path, 0o666)
    run = cli("apply", str(path), "--yes")
    assert run.code == 0, run.err
    assert "warning:" in run.err
    assert "writable by group or others" in run.err


def test_apply_and_rollback_take_the_common_options(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    seed(aws)
    path, journal = tmp_path / "plan.json", tmp_path / "run.jsonl"
    planned(cli, path)
    run = cli("apply", str(path), "--yes", "-o", "json", "-q", "-v", "--concurrency", "2",
              "--journal", str(journal))  # fmt: skip
    assert run.code == 0, run.err
    shown = json.loads(run.out)
    assert set(shown) == {
        "format_version", "tool_version", "command", "dry_run", "journal", "changes",
        "failures", "targets", "summary",
    }  # fmt: skip
    assert shown["journal"] == str(journal)
    assert shown["dry_run"] is False
    assert "sgupdater: " in run.err  # the -v log
    back = cli("rollback", str(journal), "--yes", "-o", "tsv", "-q", "--concurrency", "1")
    assert back.code == 0, back.err
    assert back.out.startswith("account\tregion")


def test_a_profile_without_a_region_fails_alone(aws: Aws, cli: Cli) -> None:
    group = seed(aws)
    keys = "aws_access_key_id = testing\naws_secret_access_key = testing"
    aws.add_profile("broken", keys)
    aws.add_profile("healthy", f"region = us-east-1\n{keys}")
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "-p", "broken", "-p", "healthy")
    assert run.code == 1
    assert "no region for profile 'broken'" in run.err
    assert ("ingress", "tcp", 22, 22, B, "ssh") in helpers.rules(aws.ec2(), group)


@pytest.mark.parametrize(
    "body",
    [
        "region = us-east-1\ncredential_process = false",
        "region = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/Ops\n"
        "source_profile = nosuch",
    ],
    ids=["failing credential_process", "missing source_profile"],
)
def test_a_profile_whose_credentials_fail_fails_alone(aws: Aws, cli: Cli, body: str) -> None:
    group = seed(aws)
    aws.add_profile("broken", body)
    keys = "aws_access_key_id = testing\naws_secret_access_key = testing"
    aws.add_profile("healthy", f"region = us-east-1\n{keys}")
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "-p", "broken", "-p", "healthy")
    assert run.code == 1
    assert "sgupdater: broken / us-east-1:" in run.err
    assert ("ingress", "tcp", 22, 22, B, "ssh") in helpers.rules(aws.ec2(), group)
