"""Help that helps: -h, two examples a command that parse, only the options a command takes,
shell completion, and errors without a validation library's wording."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
import typer

from sgupdater.cli.app import app, main
from sgupdater.cli.examples import examples

COMMANDS = ["show", "update", "add", "remove", "migrate", "apply", "rollback", "show-plan"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_dash_h_shows_two_examples_that_parse(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, command, "-h")
    assert code == 0
    assert out.startswith(f"Usage: sgupdater {command} ")
    lines = examples(command)
    assert len(lines) == 2
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    for line in lines:
        assert f"  {line}" in out
        words = shlex.split(line.split(" > ")[0])
        assert words[:2] == ["sgupdater", command]
        # Parsed as the command line would be, without running it: every option exists and
        # every value converts.
        sub = group.get_command(group.make_context("sgupdater", [command]), command)
        assert sub is not None
        sub.make_context(command, words[2:])


@pytest.mark.parametrize(
    ("command", "absent"),
    [
        ("show", ["--renumber", "--prune-policy-versions", "--include-block-lists"]),
        ("add", ["--nacls"]),
        ("remove", ["--renumber", "--include-block-lists"]),
        ("migrate", ["--nacls", "--renumber", "--match"]),
    ],
)
def test_a_command_lists_only_the_options_it_takes(
    command: str, absent: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, command, "--help")
    for flag in absent:
        assert flag not in out
    code, _, err = run(capsys, command, absent[0])
    assert code == 2
    assert f"No such option: {absent[0]}" in err


def test_update_lists_every_switch_and_allowance(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "update", "--help")
    for flag in ("--renumber", "--nacls", "--prefix-lists", "--waf", "--policies",
                 "--include-block-lists", "--prune-policy-versions", "--timeout"):  # fmt: skip
        assert flag in out


def test_a_bad_choice_names_the_value_and_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "show", "--from-cidr", "192.0.2.0/24", "-o", "yaml")
    assert code == 2
    assert err.strip() == (
        "sgupdater: error: Invalid value for '--output' / '-o': 'yaml' is not one of 'table', "
        "'tsv', 'json', 'markdown'. (see 'sgupdater show --help')"
    )


def test_shell_completion_is_offered_and_completes() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "sgupdater", "--show-completion", "bash"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0
    assert "_sgupdater_completion" in shown.stdout
    env = {"_SGUPDATER_COMPLETE": "complete_bash", "COMP_WORDS": "sgupdater sh", "COMP_CWORD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "sgupdater"],
        capture_output=True, text=True, check=False, timeout=60, env={**env, "PATH": ""},
    )  # fmt: skip
    assert done.stdout.split() == ["show", "show-plan"]
