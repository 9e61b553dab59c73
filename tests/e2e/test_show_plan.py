"""`show-plan`: a saved plan as a reviewer reads it, checked as apply checks it."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
REGIONS = ("us-east-1", "eu-west-1")


def planned(aws: Aws, cli: Cli, tmp_path: Path, groups: int = 1) -> tuple[Path, str]:
    for region in REGIONS:
        ec2 = aws.ec2(region=region)
        v = helpers.vpc(ec2)
        for n in range(groups):
            both = (perm(cidrs=(A,)), perm("tcp", 443, cidrs=(A,)))
            helpers.group(ec2, v, f"web{n}", ingress=both)
    path = tmp_path / "plan.json"
    regions = [arg for region in REGIONS for arg in ("-r", region)]
    run = cli("update", "--from-cidr", A, "--to-cidr", B, *regions, "--dry-run",
              "--plan-out", str(path))  # fmt: skip
    assert run.code == 0, run.err
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("columns", ["80", "200"])
def test_the_table_leads_with_the_digest_groups_by_place_and_ends_with_the_command(
    aws: Aws, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    path, digest = planned(aws, cli, tmp_path)
    run = cli("show-plan", str(path))
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[:2] == [f"Plan {path}", f"sha256 {digest}"]
    assert lines[2].startswith("update plan, created 20")
    words = " ".join(run.out.split())
    assert "Z: 4 changes in 2 account-regions (4 modify)" in words
    assert "123456789012 / us-east-1: 2 changes" in run.out
    assert "123456789012 / eu-west-1: 2 changes" in run.out
    assert lines[-1] == f"  sgupdater apply {path} --sha256 {digest}"
    # The command shown applies exactly that plan.
    applied = cli(*shlex.split(lines[-1])[1:], "--yes")
    assert applied.code == 0, applied.err
    assert "4 changes applied" in applied.err


def test_markdown_renders_as_a_pull_request_comment(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    path, digest = planned(aws, cli, tmp_path)
    text = cli("show-plan", str(path), "-o", "markdown").out
    assert text.startswith(f"### sgupdater plan `{path}`: 4 changes in 2 account-regions\n\n")
    assert f"`sha256 {digest}` · update plan, created " in text
    assert "**4 modify**" in text
    assert "#### 123456789012 / us-east-1 — 2 changes" in text
    assert "| Container | Dir | Proto | Ports | Old → New | Action | Status | Note |" in text
    assert f"```sh\nsgupdater apply {path} --sha256 {digest}\n```" in text
    assert "<details>" not in text


def test_a_large_plan_folds_its_sections(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    path, _ = planned(aws, cli, tmp_path, groups=6)
    text = cli("show-plan", str(path), "-o", "markdown").out
    assert text.count("<details><summary>") == 2
    assert "123456789012 / eu-west-1 — 12 changes</summary>" in text


def test_json_and_the_detailed_exit_code(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    path, digest = planned(aws, cli, tmp_path)
    run = cli("show-plan", str(path), "-o", "json", "--detailed-exitcode")
    assert run.code == 3
    document = json.loads(run.out)
    assert document["plan"]["sha256"] == digest
    assert document["plan"]["changes"] == 4
    assert {c["status"] for c in document["changes"]} == {"planned"}
    assert document["apply"] == f"sgupdater apply {path} --sha256 {digest}"
    assert cli("show-plan", str(path)).code == 0


def test_a_plan_apply_would_refuse_is_refused_alike(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    path, _ = planned(aws, cli, tmp_path)
    document = json.loads(path.read_text())
    document["targets"][0]["changes"][0]["new_cidr"] = "0.0.0.0/0"
    path.write_text(json.dumps(document))
    run = cli("show-plan", str(path))
    assert run.code == 2
    assert run.out == ""
    assert "--allow-open-world" in run.err
    assert len(run.err.strip().splitlines()) == 1
