"""Calls that end: an endpoint that never answers fails its target in bounded time, and
SIGINT or SIGTERM in the middle of a scan stops the run within 2 s with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from testkit import helpers
from testkit.helpers import perm
from testkit.proxy import LatencyProxy
from tests.e2e.conftest import Aws

A = "192.0.2.0/24"
COMMAND = [sys.executable, "-m", "sgupdater"]


@pytest.fixture
def silent(aws: Aws) -> Iterator[str]:
    """An endpoint that accepts every connection and request and never answers."""
    proxy = LatencyProxy(aws.url, 3600).start()
    yield proxy.url
    proxy.stop()


def test_an_endpoint_that_never_answers_fails_the_target_in_bounded_time(silent: str) -> None:
    env = dict(os.environ, AWS_ENDPOINT_URL=silent, AWS_MAX_ATTEMPTS="2")
    started = time.monotonic()
    done = subprocess.run(
        [*COMMAND, "show", "--from-cidr", A, "--timeout", "1", "-v"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Read timeout on endpoint URL" in done.stderr
    assert "(each attempt waited 1 s; --timeout sets it)" in done.stderr
    assert "after ReadTimeoutError (attempt 2)" in done.stderr  # -v names each retry
    # Two attempts of one second each, not botocore's 60 s: nowhere near the subprocess limit.
    assert took < 60


def test_a_bad_timeout_is_bad_input(aws: Aws, tmp_path: object) -> None:
    done = subprocess.run(
        [*COMMAND, "show", "--from-cidr", A, "--timeout", "0"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--timeout" in done.stderr


@pytest.fixture
def slow(aws: Aws) -> Iterator[str]:
    """Every call takes 30 s: a scan is always mid-call when the signal comes."""
    proxy = LatencyProxy(aws.url, 30).start()
    yield proxy.url
    proxy.stop()


@pytest.mark.parametrize(
    ("sig", "processes"),
    [(signal.SIGINT, "2"), (signal.SIGTERM, "1")],
    ids=["SIGINT-worker-processes", "SIGTERM-one-process"],
)
def test_a_signal_mid_scan_stops_within_two_seconds(
    aws: Aws, slow: str, sig: signal.Signals, processes: str
) -> None:
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    before = helpers.rules(ec2, group)
    env = dict(os.environ, AWS_ENDPOINT_URL=slow)
    regions = ["-r", "us-east-1", "-r", "eu-west-1", "-r", "us-west-2"]
    process = subprocess.Popen(
        [*COMMAND, "update", "--yes", "--from-cidr", A, "--to-cidr", "198.51.100.0/24",
         *regions, "--processes", processes],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(1.5)  # the run is up and waiting for its first answers
    sent = time.monotonic()
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    took = time.monotonic() - sent
    assert process.returncode == 130, err
    lines = err.strip().splitlines()
    assert lines[0].startswith("sgupdater: interrupted: sending nothing more")
    assert lines[-1] == (
        "sgupdater: interrupted during the scan: 0 of 3 targets read; nothing was changed"
    )
    assert out == ""
    # The grace for calls in flight is 1.5 s; process start-up and exit are the rest.
    assert took < 3, took
    assert helpers.rules(ec2, group) == before
