"""Connections shared across accounts (sgupdater/aws/pools.py), pinned to this botocore."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.httpsession import URLLib3Session

from sgupdater.aws.pools import POOLS, Pools
from sgupdater.aws.sessions import Sessions
from sgupdater.models import Credentials
from testkit import helpers
from testkit.helpers import perm
from testkit.proxy import CONNECTIONS, LatencyProxy
from testkit.tls import CA_FILE, make_ca
from tests.e2e.conftest import REGION, Aws

A = "192.0.2.0/24"
ROLES = [f"arn:aws:iam::{n:012d}:role/Ops" for n in (111111111111, 222222222222, 333333333333)]


@pytest.fixture
def counting(aws: Aws, tmp_path: Path) -> Iterator[LatencyProxy]:
    """The local endpoint behind an HTTPS proxy (a throw-away CA) that counts the connections
    clients open."""
    make_ca(tmp_path / "tls")
    proxy = LatencyProxy(aws.url, 0.0, tls=tmp_path / "tls").start()
    yield proxy
    proxy.stop()


def test_three_accounts_of_one_region_share_one_connection(
    aws: Aws, counting: LatencyProxy, tmp_path: Path
) -> None:
    for role in ROLES:
        ec2 = aws.ec2_in(role.split(":")[4], REGION)
        helpers.group(ec2, helpers.vpc(ec2), "web", ingress=(perm(cidrs=(A,)),))
    roles = [arg for role in ROLES for arg in ("--role-arn", role)]
    done = subprocess.run(
        [sys.executable, "-m", "sgupdater", "show", "--from-cidr", A, *roles, "-r", REGION,
         "--concurrency", "1", "-o", "json"],
        env=dict(os.environ, AWS_ENDPOINT_URL=counting.url,
                 AWS_CA_BUNDLE=str(tmp_path / "tls" / CA_FILE)),
        stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    counts = counting.take_counts(connections=True)
    calls = sum(n for action, n in counts.items() if action != CONNECTIONS)
    assert counts["AssumeRole"] == 3
    assert calls >= 9
    # One call at a time, one endpoint host: every client of every account reuses one TLS
    # connection (botocore alone opens one per client: 6 or more here).
    assert counts[CONNECTIONS] == 1, counts


def test_clients_of_two_accounts_share_one_http_session(aws: Aws) -> None:
    sessions = Sessions(pool=4, shared=16)
    one = sessions.client(Credentials(), REGION, "ec2")
    other = sessions.client(Credentials(None, ROLES[0]), REGION, "ec2")
    sts = sessions.client(Credentials(), REGION, "sts")
    shared: Any = one._endpoint.http_session
    assert other._endpoint.http_session is shared
    assert sts._endpoint.http_session is shared
    assert shared._max_pool_connections == 16
    assert shared._manager.pools._maxsize >= 256  # urllib3 keeps a pool for every host
    assert isinstance(shared, URLLib3Session)
    # Signing stays the client's own: each keeps its credentials.
    assert one._request_signer is not other._request_signer


def test_other_http_settings_get_a_session_of_their_own(aws: Aws) -> None:
    small, large = Sessions(pool=4, shared=8), Sessions(pool=4, shared=64)
    a = small.client(Credentials(), REGION, "ec2")
    b = large.client(Credentials(), REGION, "ec2")
    assert a._endpoint.http_session is not b._endpoint.http_session
    assert POOLS.sessions() >= 2


class _Unknown:
    """A client whose HTTP session is not botocore's URLLib3Session as this module knows it."""

    def __init__(self, session: Any) -> None:
        self._endpoint = type("Endpoint", (), {"http_session": session})()


@pytest.mark.parametrize("session", [None, object()], ids=["no-session", "other-class"])
def test_an_unknown_client_keeps_its_own_connections(session: Any) -> None:
    pools = Pools()
    client = _Unknown(session)
    assert pools.adopt(client, 16) is False
    assert client._endpoint.http_session is session
    assert pools.sessions() == 0
    assert pools.adopt(object(), 16) is False
