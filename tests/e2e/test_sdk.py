"""The SDK's own settings decide profiles, regions, endpoints and retries; targets fail alone."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sgupdater.aws import sessions as sdk
from sgupdater.engine.runner import Options, Run
from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"


def seed(aws: Aws, region: str) -> str:
    ec2 = aws.ec2(region)
    return helpers.group(ec2, helpers.vpc(ec2), f"web-{region}", ingress=(perm(cidrs=(A,)),))


def changed_regions(cli: Cli, *args: str) -> set[str]:
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "-o", "json", *args)
    assert run.code == 0, run.err
    return {c["region"] for c in json.loads(run.out)["changes"] if c["status"] == "applied"}


def test_aws_profile_selects_the_profile_and_its_region(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.add_profile("work", "region = eu-west-1\naws_access_key_id = k\naws_secret_access_key = s")
    seed(aws, "eu-west-1")
    seed(aws, "us-east-1")
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert changed_regions(cli) == {"eu-west-1"}


def test_profile_option_uses_each_profiles_region(aws: Aws, cli: Cli) -> None:
    aws.add_profile("a", "region = eu-west-1\naws_access_key_id = k\naws_secret_access_key = s")
    aws.add_profile("b", "region = ap-south-1\naws_access_key_id = k\naws_secret_access_key = s")
    seed(aws, "eu-west-1")
    seed(aws, "ap-south-1")
    assert changed_regions(cli, "-p", "a", "-p", "b") == {"eu-west-1", "ap-south-1"}


def test_aws_region_wins_over_aws_default_region_and_the_profile(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws, "eu-central-1")
    seed(aws, "us-west-2")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert changed_regions(cli) == {"eu-central-1"}


def test_aws_default_region(aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(aws, "us-west-2")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert changed_regions(cli) == {"us-west-2"}


def test_several_regions(aws: Aws, cli: Cli) -> None:
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        seed(aws, region)
    assert changed_regions(cli, "-r", "eu-west-1", "-r", "ap-southeast-2") == {
        "eu-west-1",
        "ap-southeast-2",
    }


def test_service_specific_endpoint_variable(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws, "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", aws.url)
    assert changed_regions(cli) == {"us-east-1"}


def test_endpoint_url_from_the_config_file(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws, "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    aws.add_profile(
        "local",
        f"region = us-east-1\nendpoint_url = {aws.url}\n"
        "aws_access_key_id = k\naws_secret_access_key = s",
    )
    assert changed_regions(cli, "-p", "local") == {"us-east-1"}


class _Unavailable(http.server.BaseHTTPRequestHandler):
    """Answers every request with 503, counting them."""

    hits = 0

    def do_POST(self) -> None:
        type(self).hits += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def unavailable() -> Iterator[str]:
    """An endpoint on 127.0.0.1 that is always unavailable."""
    _Unavailable.hits = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_failing_target_is_named_and_never_stops_the_others(
    aws: Aws, cli: Cli, unavailable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = seed(aws, "us-east-1")
    # The environment's endpoint would win over the profiles' own; each profile names its own.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    aws.config.write_text(f"[default]\nregion = us-east-1\nendpoint_url = {aws.url}\n")
    aws.add_profile(
        "broken",
        f"region = eu-west-1\nendpoint_url = {unavailable}\nmax_attempts = 1\n"
        "aws_access_key_id = k\naws_secret_access_key = s",
    )
    run = cli(
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "-p",
        "default",
        "-p",
        "broken",
        "-o",
        "json",
    )
    assert run.code == 1
    assert ("ingress", "tcp", 22, 22, B, "") in helpers.rules(aws.ec2(), g)
    failure_lines = [line for line in run.err.splitlines() if line.startswith("sgupdater: broken")]
    assert len(failure_lines) == 1
    assert "eu-west-1" in failure_lines[0]
    assert "503" in failure_lines[0] or "Unavailable" in failure_lines[0]
    document = json.loads(run.out)
    assert [(f["profile"], f["region"]) for f in document["failures"]] == [("broken", "eu-west-1")]
    assert document["summary"]["targets_failed"] == 1
    assert "Traceback" not in run.err


# A scan makes two calls (groups and rules), each tried max_attempts times.
@pytest.mark.parametrize(("setting", "expected"), [("env", 2 * 2), ("profile", 2 * 3)])
def test_the_users_retry_settings_are_honoured(
    aws: Aws,
    cli: Cli,
    unavailable: str,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    expected: int,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", unavailable)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    if setting == "env":
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    else:
        aws.config.write_text("[default]\nregion = us-east-1\nmax_attempts = 3\n")
    run = cli("show", "--from-cidr", A)
    assert run.code == 1
    assert _Unavailable.hits == expected


def test_a_proxy_in_the_environment_is_used_and_no_proxy_honoured(
    aws: Aws, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws, "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # The discard port: nothing listens there, so a call sent through the proxy fails.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    through = cli("show", "--from-cidr", A)
    assert through.code == 1
    assert "proxy" in through.err.lower()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = cli("show", "--from-cidr", A)
    assert direct.code == 0, direct.err
    assert A in direct.out


def test_a_credential_process_profile(aws: Aws, cli: Cli, tmp_path: Path) -> None:
    seed(aws, "eu-west-1")
    script = tmp_path / "creds.sh"
    script.write_text(
        '#!/bin/sh\necho \'{"Version": 1, "AccessKeyId": "proc", "SecretAccessKey": "proc"}\'\n'
    )
    script.chmod(0o755)
    aws.add_profile("proc", f"region = eu-west-1\ncredential_process = {script}")
    assert changed_regions(cli, "-p", "proc") == {"eu-west-1"}


def test_verbose_logs_the_targets_on_stderr(aws: Aws, cli: Cli) -> None:
    seed(aws, "us-east-1")
    run = cli("show", "--from-cidr", A, "-v")
    assert run.code == 0
    assert "sgupdater: visiting 1 target(s): default credentials / us-east-1" in run.err


@pytest.mark.parametrize(
    ("variable", "first_region", "endpoint"),
    [
        ("eu-west-2", None, "https://sts.eu-west-2.amazonaws.com"),
        (None, "ap-southeast-2", "https://sts.ap-southeast-2.amazonaws.com"),
    ],
    ids=["AWS_REGION only", "--region only"],
)
def test_roles_are_assumed_through_sts_in_the_home_region(
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    variable: str | None,
    first_region: str | None,
    endpoint: str,
) -> None:
    # No endpoint override and a profile without a region: the SDK's own resolution. The
    # client is only built, never called.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    aws.config.write_text("[default]\n")
    if variable:
        monkeypatch.setenv("AWS_REGION", variable)
    sessions = Run(Options(home_region=first_region)).sessions
    base = sdk.session(None)
    sts = sdk.sts_creator(base, sessions.sts_region(base))("sts")
    assert sts.meta.endpoint_url == endpoint
