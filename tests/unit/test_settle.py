"""A large scan settles its process once: the SDK's models loaded, then frozen out of the
cyclic collector's sight; a process that cannot settle goes on as it was."""

from __future__ import annotations

import os
import subprocess
import sys

_PROBE = """
import gc
from sgupdater.aws import client_classes, settle
settle.settle({"ec2", "wafv2@us-east-1"}, "eu-west-1")
first = gc.get_freeze_count()
settle.settle({"ec2"}, "eu-west-1")
print(first, gc.get_freeze_count(), sorted(name for name, _ in client_classes._models))
"""


def _probe(**env: str) -> list[str]:
    """What a fresh process says after settling (its freeze counts, the models it holds)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env={**clean, **env}, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.strip().split(maxsplit=2)


def test_settling_loads_each_service_once_and_freezes_what_the_process_holds() -> None:
    first, again, models = _probe()
    # The EC2 model alone is tens of thousands of objects; asking again for a settled service
    # freezes nothing more.
    assert int(first) > 20_000
    assert again == first
    assert models == "['ec2', 'wafv2']"


def test_a_process_that_cannot_settle_goes_on_unfrozen() -> None:
    # No such profile: the session cannot be made; the run would say so itself, later.
    first, again, models = _probe(AWS_PROFILE="no-such-profile-anywhere")
    assert (first, again, models) == ("0", "0", "[]")
