"""Bad input: one clear line on stderr, exit status 2, no traceback, nothing changed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
ROLE = "arn:aws:iam::123456789012:role/Ops"

BAD = [
    (["update", "--from-cidr", "192.0.2.0/33", "--to-cidr", B], "is not an IPv4 or IPv6 CIDR"),
    (["update", "--from-cidr", "office", "--to-cidr", B], "is not an IPv4 or IPv6 CIDR"),
    (["update", "--from-cidr", "192.0.2.7/24", "--to-cidr", B], "did you mean 192.0.2.0/24?"),
    (["update", "--from-cidr", A, "--to-cidr", "198.51.100.1/24"], "did you mean 198.51.100.0/24?"),
    (
        ["update", "--from-cidr", "2001:db8::1/32", "--to-cidr", "2001:db9::/32"],
        "did you mean 2001:db8::/32?",
    ),
    (["update", "--from-cidr", A, "--to-cidr", "2001:db8::/32"], "different IP families"),
    (["update", "--from-cidr", A, "--to-cidr", A], "are the same"),
    (["update", "--from-cidr", A, "--to-cidr", "192.0.2.0/24 "], "are the same"),
    (["update", "--from-cidr", A, "--to-cidr", "0.0.0.0/0"], "--allow-open-world"),
    (["add", "--from-cidr", "2001:db8::/32", "--to-cidr", "::/0"], "--allow-open-world"),
    (["remove", "--cidr", A, "--only-where", "2001:db8::/32"], "different IP families"),
    (["remove", "--cidr", A, "--only-where", A], "are the same"),
    (["show", "--from-cidr", "192.0.2.1/24"], "did you mean 192.0.2.0/24?"),
    (["update", "--from-cidr", A], "needs a to-cidr"),
    (["update", "--to-cidr", B], "--to-cidr needs --from-cidr"),
    (["update"], "pass --from-cidr, or --config"),
    (["update", "--from-cidr", A, "--to-cidr", B, "--bogus"], "No such option: --bogus"),
    (["update", "--from-cidr", A, "--to-cidr", B, "--direction", "sideways"], "--direction"),
    (["update", "--from-cidr", A, "--to-cidr", B, "-o", "xml"], "--output"),
    (["update", "--from-cidr", A, "--to-cidr", B, "--strategy", "yolo"], "--strategy"),
    (["update", "--from-cidr", A, "--to-cidr", B, "--page-size", "1"], "--page-size"),
    (
        ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "-p", "nosuch"],
        "unknown profile 'nosuch'",
    ),
    (
        ["update", "--yes", "--from-cidr", A, "--to-cidr", B, "-r", "mars-north-1"],
        "unknown region 'mars-north-1'",
    ),
    (["frobnicate"], "No such command"),
    # IAM's patterns are ASCII: a letter outside it passes no check of AWS's.
    (["show", "--from-cidr", A, "--role-arn", ROLE, "--session-name", "ops-é"], "--session-name"),
    (["show", "--from-cidr", A, "--role-arn", ROLE + "é"], "is not an IAM role ARN"),
    (["show", "--from-cidr", A, "--accounts", "١٢٣٤٥٦٧٨٩٠١٢", "--role-name", "x"], "12-digit"),
    (["show", "--from-cidr", A, "--role-arn", ROLE + "\n"], "is not an IAM role ARN"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    aws: Aws, cli: Cli, args: list[str], message: str
) -> None:
    ec2 = aws.ec2()
    g = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    before = helpers.rule_ids(ec2, g)
    run = cli(*args)
    assert run.code == 2
    assert run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("sgupdater: error: ")
    assert message in lines[0]
    assert "Traceback" not in run.err
    assert helpers.rule_ids(ec2, g) == before


def test_no_region_anywhere_is_bad_input(aws: Aws, cli: Cli) -> None:
    aws.config.write_text("[default]\n")
    run = cli("show", "--from-cidr", A)
    assert run.code == 2
    assert run.err.strip() == (
        "sgupdater: error: no region for the default credentials: pass --region or set AWS_REGION"
    )


def test_open_world_is_allowed_when_asked(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    g = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm("tcp", 80, cidrs=(A,)),))
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", "0.0.0.0/0", "--allow-open-world")
    assert run.code == 0
    assert ("ingress", "tcp", 80, 80, "0.0.0.0/0", "") in helpers.rules(ec2, g)


def test_version(cli: Cli) -> None:
    run = cli("--version")
    assert run.code == 0
    assert run.out.startswith("sgupdater 0.")


def test_no_command_prints_help_and_exits_2(cli: Cli) -> None:
    run = cli()
    assert run.code == 2
    assert "update" in run.out


@pytest.mark.parametrize(
    "args",
    [
        ["show", "--from-cidr", A, "--config", "{dir}"],
        ["apply", "{dir}"],
        ["rollback", "{dir}"],
    ],
    ids=["config", "plan", "journal"],
)
@pytest.mark.parametrize("where", ["tmp", "/dev/null", "/dev/zero"])
def test_a_file_that_is_not_a_regular_file_is_one_line_and_exit_2(
    aws: Aws, cli: Cli, tmp_path: Path, args: list[str], where: str
) -> None:
    # A directory or a device where a file is expected: one line, no warning before it
    # (/dev/zero would never end if it were read).
    run = cli(*(a.format(dir=tmp_path if where == "tmp" else where) for a in args))
    assert run.code == 2
    assert "not a regular file" in run.err
    assert len(run.err.strip().splitlines()) == 1, run.err
    assert "Traceback" not in run.err


_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
regions: [*g, *g, *g, *g, *g, *g, *g, *g, *g]
"""


def test_a_billion_laughs_config_is_refused_at_its_first_alias(
    aws: Aws, cli: Cli, tmp_path: Path
) -> None:
    config = tmp_path / "laughs.yaml"
    config.write_text(_LAUGHS)
    started = time.monotonic()
    run = cli("show", "--from-cidr", A, "--config", str(config))
    # Bounded, not timed for speed: expanding the aliases would take minutes and gigabytes.
    assert time.monotonic() - started < 1.0
    assert run.code == 2
    assert run.err.strip() == (
        f"sgupdater: error: {config}: line 2: YAML aliases (*a) are not accepted in a "
        "configuration file; write the value out"
    )


def test_an_unwritable_journal_changes_nothing(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    ec2 = aws.ec2()
    g = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    before = helpers.rule_ids(ec2, g)
    # A directory where the journal should go, then a path under a file: neither can be made.
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(tmp_path))
    assert run.code == 2
    assert "exists; a journal is written to a new file" in run.err
    blocked = tmp_path / "file"
    blocked.write_text("")
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--journal", str(blocked / "j.jsonl")
    )
    assert run.code == 2
    assert "cannot write the journal" in run.err
    assert helpers.rule_ids(ec2, g) == before
