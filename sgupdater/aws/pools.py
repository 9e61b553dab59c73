"""Connections shared across accounts: one HTTP session per distinct HTTP settings, per process.

botocore gives every client its own `URLLib3Session` (`botocore.endpoint.EndpointCreator.
create_endpoint`), hence its own connection pools, and the tool makes a client per target: a
thousand accounts of one region each paid a TCP and a TLS handshake to the same host
(`ec2.REGION.amazonaws.com`). Requests are signed per client before they reach the session, so
the session (urllib3's pools by scheme, host and port) can serve every client whose HTTP
settings are alike; the pool of a host then holds as many connections as the run has calls
in flight there.

NOTE: this relies on botocore internals, checked on every client: `client._endpoint` with its
`http_session` a `botocore.httpsession.URLLib3Session` holding `_verify`, `_timeout`,
`_max_pool_connections`, `_socket_options`, `_cert_file`, `_key_file` and `_proxy_config`
(`_proxies`, `settings`); and `URLLib3Session._get_pool_manager_kwargs` passing its keywords on
to urllib3's `PoolManager` (for `num_pools`). Pinned by tests/e2e/test_pools.py for the botocore
range pyproject.toml allows; when any of it is missing the client keeps its own session
(per-client pools, as before), logged once with -v.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from botocore.httpsession import URLLib3Session

log = logging.getLogger("sgupdater")

# Hosts one shared session keeps pools for (urllib3 drops the least recently used beyond it):
# EC2, STS, IAM, S3 and WAF in every region of a partition, with room to spare.
HOSTS = 256


class _Shared(URLLib3Session):
    """A botocore HTTP session with room for the pools of every host a run reaches."""

    def _get_pool_manager_kwargs(self, **extra: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = super()._get_pool_manager_kwargs(**extra)  # type: ignore[misc]
        kwargs["num_pools"] = HOSTS
        return kwargs


def _settings(own: Any) -> tuple[Any, ...] | None:
    """What makes two clients' HTTP sessions interchangeable; None when it cannot be read."""
    try:
        proxies = own._proxy_config
        return (
            own._verify,
            _timeout(own),
            tuple(map(tuple, own._socket_options or ())),
            own._cert_file,
            own._key_file,
            tuple(sorted((proxies._proxies or {}).items())),
            tuple(sorted((proxies.settings or {}).items())),
        )
    except (AttributeError, TypeError):
        return None


class Pools:
    """The shared HTTP sessions of one process, by settings and pool size."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[tuple[Any, ...], URLLib3Session] = {}
        self._warned = False

    def adopt(self, client: Any, size: int) -> bool:
        """Serve the client from the shared session of its settings (`size` connections a
        host); False, and the client untouched, when botocore's internals are not as known."""
        endpoint: Any = getattr(client, "_endpoint", None)
        own: Any = getattr(endpoint, "http_session", None)
        settings = _settings(own) if isinstance(own, URLLib3Session) else None
        if settings is None:
            if not self._warned:
                self._warned = True
                log.info("connections are not shared: this botocore's HTTP session is unknown")
            return False
        key = (*settings, size)
        with self._lock:
            shared = self._sessions.get(key)
            if shared is None:
                shared = self._sessions[key] = _from(own, size)
        endpoint.http_session = shared
        own.close()
        return True

    def sessions(self) -> int:
        """How many shared sessions there are (one per distinct HTTP settings)."""
        with self._lock:
            return len(self._sessions)


def _timeout(own: Any) -> Any:
    """A session's timeout as botocore was given it: seconds, or (connect, read)."""
    timeout = own._timeout
    if hasattr(timeout, "connect_timeout"):
        return (timeout.connect_timeout, timeout.read_timeout)
    return timeout


def _from(own: Any, size: int) -> URLLib3Session:
    """A shared session with the settings of a client's own."""
    timeout = _timeout(own)
    client_cert = (own._cert_file, own._key_file) if own._key_file else own._cert_file
    return _Shared(
        verify=own._verify,
        proxies=own._proxy_config._proxies,
        timeout=timeout,
        max_pool_connections=size,
        socket_options=own._socket_options,
        client_cert=client_cert,
        proxies_config=own._proxy_config.settings,
    )


# Process-wide: connections are shared by every run and worker thread of the process.
POOLS = Pools()
