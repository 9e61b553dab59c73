"""Fixtures: a local moto EC2/STS server on 127.0.0.1 and an AWS environment isolated per test."""

from __future__ import annotations

import io
import logging
import os
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from mypy_boto3_ec2 import EC2Client

from sgupdater.cli import main
from tests import moto_shims

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server for the whole session, on a free loopback port."""
    moto_shims.install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Aws:
    """The test's AWS world: endpoint, config files, and clients to seed and read back."""

    url: str
    config: Path
    credentials: Path

    def ec2(self, region: str = REGION, profile: str | None = None) -> EC2Client:
        """A client that talks to the local server, as the tool would."""
        return boto3.Session(profile_name=profile).client("ec2", region_name=region)

    def ec2_in(self, account: str, region: str = REGION) -> EC2Client:
        """A client acting in another (moto) account, through an assumed role."""
        arn = f"arn:aws:iam::{account}:role/Ops"
        creds = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=arn, RoleSessionName="tests"
        )["Credentials"]
        return boto3.client(
            "ec2",
            region_name=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    def add_profile(self, name: str, body: str) -> None:
        """Append a profile section to the test's AWS config file."""
        with self.config.open("a") as f:
            f.write(f"\n[profile {name}]\n{body.strip()}\n")


@pytest.fixture(autouse=True)
def aws(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Aws:
    """Every test: no real AWS settings, fresh config files, the local endpoint, empty moto."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config = tmp_path / "aws-config"
    credentials = tmp_path / "aws-credentials"
    config.write_text(f"[default]\nregion = {REGION}\n")
    credentials.write_text(
        "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    # Journals go to the test's own directory, never the developer's state directory.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
    return Aws(moto_url, config, credentials)


@dataclass(frozen=True)
class Run:
    """What a user sees from one sgupdater invocation."""

    code: int
    out: str
    err: str


Cli = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run sgupdater in-process with piped (non-terminal) stdin and stdout."""

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
