"""The local EC2: moto 5.2, made to refuse what real EC2 refuses where sgupdater depends on it.

Each shim lives in the module of its resource (ec2_groups, ec2_lists, ec2_acls, waf, iam, s3,
config),
quotes the
documentation sentence or service-model constraint it enforces, and has a test showing the
refusal (tests/test_local_ec2.py). A shim never accepts what EC2 refuses. Shims are installed
in-process before ThreadedMotoServer starts; the server then serves them over HTTP.
"""

from __future__ import annotations

import logging
import urllib.request

from moto.server import ThreadedMotoServer

from testkit import config, ec2_acls, ec2_groups, ec2_lists, iam, s3, waf

_installed = False


def install() -> None:
    """Patch moto in this process; idempotent."""
    global _installed
    if _installed:
        return
    for owner, name, replacement in (
        *ec2_groups.PATCHES,
        *ec2_lists.PATCHES,
        *ec2_acls.PATCHES,
        *waf.PATCHES,
        *iam.PATCHES,
        *s3.PATCHES,
        *config.PATCHES,
    ):
        setattr(owner, name, replacement)
    _installed = True


class LocalServer:
    """moto with these shims on a free port of 127.0.0.1, for tests, the demo and benchmarks."""

    def __init__(self) -> None:
        install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> LocalServer:
        """Start serving; `url` then names the endpoint."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def reset(self) -> None:
        """Forget every resource and scripted answer: each test starts from empty accounts."""
        iam.reset()
        s3.reset()
        ec2_groups.reset()
        config.reset()
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request) as answer:
            if answer.status != 200:
                raise RuntimeError(f"moto reset answered {answer.status}")

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()
