"""Fixtures: the local EC2 on 127.0.0.1 and an AWS environment isolated per test."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_ec2 import EC2Client

from sgupdater.aws import sessions as sdk
from sgupdater.cli.app import main
from testkit.local_ec2 import LocalServer

REGION = "us-east-1"


@pytest.fixture(scope="session")
def local() -> Iterator[LocalServer]:
    """One local EC2 for the whole session (per xdist worker), on a free loopback port."""
    server = LocalServer().start()
    yield server
    server.stop()


@dataclass
class Aws:
    """The test's AWS world: endpoint, config files, and clients to seed and read back."""

    url: str
    config: Path
    credentials: Path
    _clients: dict[tuple[str, str | None], EC2Client] = field(default_factory=dict)

    def ec2(self, region: str = REGION, profile: str | None = None) -> EC2Client:
        """A client that talks to the local server, as the tool would."""
        found = self._clients.get((region, profile))
        if found is None:
            # The SDK session shares the tool's one parsed copy of the service model: building
            # a client from scratch costs ~0.3 s, most of a short test.
            session = boto3.Session(botocore_session=sdk.session(profile))
            found = session.client("ec2", region_name=region)
            self._clients[(region, profile)] = found
        return found

    def client(self, service: str, region: str = REGION) -> Any:
        """A client of any service that talks to the local server, as the tool would."""
        session = boto3.Session(botocore_session=sdk.session(None))
        return session.client(service, region_name=region)  # type: ignore[call-overload]

    def ec2_in(self, account: str, region: str = REGION) -> EC2Client:
        """A client acting in another (moto) account, through an assumed role."""
        arn = f"arn:aws:iam::{account}:role/Ops"
        session = boto3.Session(botocore_session=sdk.session(None))
        assumed = session.client("sts", region_name=REGION).assume_role(
            RoleArn=arn, RoleSessionName="tests"
        )["Credentials"]
        return session.client(
            "ec2",
            region_name=region,
            aws_access_key_id=assumed["AccessKeyId"],
            aws_secret_access_key=assumed["SecretAccessKey"],
            aws_session_token=assumed["SessionToken"],
        )

    def add_profile(self, name: str, body: str) -> None:
        """Append a profile section to the test's AWS config file."""
        with self.config.open("a") as f:
            f.write(f"\n[profile {name}]\n{body.strip()}\n")


@pytest.fixture(autouse=True)
def aws(local: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Aws:
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
    monkeypatch.setenv("AWS_ENDPOINT_URL", local.url)
    # Journals go to the test's own directory, never the developer's state directory.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    local.reset()
    return Aws(local.url, config, credentials)


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
