"""Before a large scan: the SDK's data for the run's services loaded, then out of the cyclic
garbage collector's sight for the rest of the process (gc.freeze).

NOTE: a full collection walks every object the process holds. botocore's service models, their
endpoint rules and the client classes built from them (aws/client_classes.py) are a large,
lasting share of that and never garbage; each new client and response makes the collector run
again and walk them all (1.1 s of full collections in each worker over 850 targets). Frozen,
17,000 simulated targets (bench.org, TLS) took 6.8 ms of CPU a target instead of 7.8 to 8.2, and
1,700 took 13.9 s of CPU instead of 15.1 (median of five, the simulator's included). Frozen
objects are still freed when nothing refers to them; only a cycle among them would stay, and
these are loaded once and kept for the process's life anyway.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterable

from sgupdater.aws import sessions

log = logging.getLogger("sgupdater")

# Below this many targets in one process, a scan is short and settling is not worth a client.
LARGE = 200
_lock = threading.Lock()
_settled: set[str] = set()


def settle(services: Iterable[str], region: str) -> None:
    """Load each service's model (a client no one calls, keys that sign nothing) and freeze
    everything the process holds; once per process and set of services."""
    wanted = sorted(set(services) - _settled)
    if not wanted:
        return
    with _lock:
        try:
            core = sessions.session(None)
            for service in wanted:
                name, _, pinned = service.partition("@")
                core.create_client(
                    name, region_name=pinned or region,
                    aws_access_key_id="settle", aws_secret_access_key="settle",
                )  # fmt: skip
        except Exception as exc:  # an optimisation only: the run goes on without it
            log.debug("not settled (%s): %s", type(exc).__name__, exc)
            return
        _settled.update(wanted)
        gc.freeze()
