"""The README's walkthrough runs as written, and every sgupdater command line shown in the
README, the docs and the examples is one the command line accepts."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from sgupdater.cli.app import app
from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws

ROOT = Path(__file__).resolve().parents[2]
A, B = "192.0.2.0/24", "198.51.100.0/24"
KEYS = "aws_access_key_id = testing\naws_secret_access_key = testing"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench/README.md"]
FENCE = re.compile(r"^```(?:sh|console|bash)?\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text())


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## First real run") :]
    return code_blocks_of(section)[0]


def code_blocks_of(text: str) -> list[str]:
    return FENCE.findall(text)


def test_the_first_real_run_runs_as_written(aws: Aws, tmp_path: Path) -> None:
    aws.add_profile("prod", f"region = us-east-1\n{KEYS}")
    groups = {}
    for region in ("us-east-1", "eu-west-1"):
        ec2 = aws.ec2(region=region)
        groups[region] = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    listed = helpers.prefix_list(aws.ec2(), "offices", ((A, "paris"),))
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        cwd=tmp_path, env=dict(os.environ, PATH=path), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sgupdater apply move.json --sha256" in done.stdout  # show-plan's last line
    # Step 6 rolled the move back: everything trusts the old range again, as before.
    for region, group in groups.items():
        assert ("ingress", "tcp", 22, 22, A, "") in helpers.rules(aws.ec2(region=region), group)
    assert helpers.entries(aws.ec2(), listed) == {(A, "paris")}


def command_lines() -> list[tuple[str, str]]:
    """Every sgupdater command line of a code block, with where it is."""
    found = []
    sources = [*DOCUMENTS, ROOT / "examples/sgupdater.yaml", ROOT / "examples/update-profiles.sh"]
    for path in sources:
        text = path.read_text()
        blocks = code_blocks(path) if path.suffix == ".md" else [text]
        for block in blocks:
            for line in block.replace("\\\n", " ").splitlines():
                line = line.strip().removeprefix("$ ").removeprefix("# ")
                if line.startswith("sgupdater "):
                    found.append((f"{path.relative_to(ROOT)}: {line[:60]}", line))
    return found


@pytest.mark.parametrize(("where", "line"), command_lines(), ids=lambda v: v[:70])
def test_every_command_line_shown_is_accepted(where: str, line: str) -> None:
    words = []
    for word in shlex.split(line, comments=True)[1:]:
        if word in (">", "|", "2>&1", ">>") or word.startswith(">"):
            break
        # A value the shell computes ("$(sha256sum …)") is a value all the same.
        words.append("VALUE" if word.startswith("$(") else word)
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    if words[0].startswith("-"):
        # Options of the program itself; parsing --install-completion would install it.
        names = {name for param in group.params for name in param.opts}
        assert set(words) <= names, where
        return
    command = group.get_command(group.make_context("sgupdater", [words[0]]), words[0])
    assert command is not None, where
    command.make_context(words[0], words[1:])
