"""boto3 sessions and clients configured the same way for every stage."""

from __future__ import annotations

import fnmatch
import functools
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import botocore.credentials
import botocore.exceptions
import botocore.loaders
import botocore.session
from botocore.config import Config

from sgupdater import __version__
from sgupdater.aws import client_classes
from sgupdater.aws.pools import POOLS
from sgupdater.errors import ConfigError, TargetError
from sgupdater.models import Credentials

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sts import STSClient

log = logging.getLogger("sgupdater")

DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 8
# botocore waits 60 s to connect and 60 s for each answer, and retries both: an endpoint that
# accepts connections and never answers held a run for minutes. EC2, IAM, S3, WAF and STS
# answer a describe or list page in well under a second (tens of seconds is already a fault);
# a connection that takes 5 s is not coming. Each attempt is bounded by these; --timeout (or
# the config file's `timeout`) sets the answer's, and the connection's where that is lower.
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 20.0
# Process-wide, like the log level: set once per process from the run's options (use_timeout).
_timeouts = {"connect": DEFAULT_CONNECT_TIMEOUT, "read": DEFAULT_READ_TIMEOUT}


def use_timeout(read: float) -> None:
    """Bound every attempt of every call this process makes from now on: `read` seconds for
    an answer, at most DEFAULT_CONNECT_TIMEOUT to connect."""
    _timeouts["read"] = read
    _timeouts["connect"] = min(read, DEFAULT_CONNECT_TIMEOUT)


Session = botocore.session.Session

_loader_lock = threading.Lock()
_base_lock = threading.Lock()
_shared_loader: botocore.loaders.Loader | None = None


def _loader() -> botocore.loaders.Loader:
    # Parsing the EC2 service model costs ~0.25 s; one loader shared by every session (one per
    # target and thread, as sessions are not thread-safe) parses it once per process.
    global _shared_loader
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = botocore.loaders.create_loader()
        return _shared_loader


def matching_profiles(names: Sequence[str]) -> tuple[str, ...]:
    """Profile names, each pattern (`prod-*`, `?a`, `[ab]*`) replaced by the profiles of the AWS
    config and credentials files it matches, in sorted order; the same profile once."""
    found: dict[str, None] = {}
    known: list[str] | None = None
    for name in names:
        if not any(c in name for c in "*?["):
            found.setdefault(name)
            continue
        if known is None:
            # The SDK's own reading of AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
            known = sorted(botocore.session.Session().available_profiles)
        # Case matters in profile names, on every system.
        matched = [p for p in known if fnmatch.fnmatchcase(p, name)]
        if not matched:
            raise ConfigError(
                f"profile pattern {name!r} matches no profile in the AWS config files"
            )
        for profile in matched:
            found.setdefault(profile)
    return tuple(found)


def session(profile: str | None) -> Session:
    """A new SDK session for a profile (None: the default credential chain)."""
    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", _loader())
    client_classes.share(core)
    try:
        core.get_scoped_config()
    except botocore.exceptions.ProfileNotFound:
        raise ConfigError(f"unknown profile {profile!r} (not in the AWS config files)") from None
    # Every client the session makes gets the run's retry settings, those botocore makes on its
    # own too: the STS client of a role the profile defines (role_arn with source_profile or
    # credential_source) would otherwise retry in legacy mode, 3 attempts. Settings a client is
    # given explicitly still win (Config.merge), and the user's own retry settings win over ours.
    core.set_default_client_config(_config(core))
    if log.isEnabledFor(logging.INFO):
        # -v only: two handlers on every request are not paid for by runs that log nothing.
        core.register("needs-retry", _remember_cause)
        core.register("request-created", _log_retry)
    return core


def _remember_cause(request_dict: Any = None, response: Any = None, **kwargs: Any) -> None:
    """Keep why an attempt failed, for the line that says it is retried."""
    caught = kwargs.get("caught_exception")
    cause = type(caught).__name__ if caught is not None else ""
    if response is not None and not cause:
        error = response[1].get("Error", {}) if isinstance(response[1], dict) else {}
        cause = str(error.get("Code") or "")
    if request_dict is not None and cause:
        request_dict.setdefault("context", {})["sgupdater-cause"] = cause


def _log_retry(request: Any = None, operation_name: str = "", **kwargs: Any) -> None:
    """With -v, one line per retried attempt: which call, why, which attempt."""
    context = getattr(request, "context", None) or {}
    attempt = context.get("retries", {}).get("attempt", 1)
    if attempt > 1:
        cause = context.get("sgupdater-cause", "no answer")
        log.info("retrying %s after %s (attempt %d)", operation_name, cause, attempt)


class _Given(botocore.credentials.CredentialProvider):
    """Hands a session the credentials this run already resolved."""

    METHOD = "sgupdater-assume-role"

    def __init__(self, credentials: botocore.credentials.Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> botocore.credentials.Credentials:
        return self._credentials


class Sessions:
    """The SDK sessions and clients of one run: one session per account's credentials.

    botocore sessions are not thread-safe, so they only create clients under a lock; clients
    are thread-safe and shared. Building an EC2 client costs ~20 ms of CPU (its ~700 methods),
    so each (credentials, region) gets one for both phases of the run.
    """

    def __init__(self, pool: int = 10, home_region: str | None = None, shared: int = 0) -> None:
        self._lock = threading.Lock()
        self._pool = pool
        # Connections a host keeps in the pool every client shares (aws/pools.py): as many as
        # the run has calls in flight; 0 leaves each client its own pool.
        self._shared = shared
        # Where STS is asked for assumed roles when a profile names no region (--region's).
        self._home_region = home_region
        self._sessions: dict[Credentials, Session] = {}
        self._bases: dict[str | None, Session] = {}
        # Each session's client settings, made once (its retry settings read its profile).
        self._configs: dict[Credentials, Config] = {}
        # botocore looks the environment's proxies up for every client it makes (getproxies
        # walks the whole environment, twice); with none set the answer is none for every
        # endpoint, so it is given once here. With any set, botocore decides per endpoint.
        self._proxies: dict[str, str] | None = None if urllib.request.getproxies() else {}
        # Per target, its clients by service.
        self._clients: dict[tuple[Credentials, str], dict[str, Any]] = {}

    def _session(self, creds: Credentials) -> Session:
        # Callers hold the lock.
        found = self._sessions.get(creds)
        if found is None:
            found = session(creds.profile)
            if creds.role_arn is not None:
                # A role is assumed once per run; the credentials refresh themselves (under
                # their own lock) when they near expiry in a long run. Every role assumed from
                # one profile shares its base session: one per profile, not per account.
                base = self._bases.get(creds.profile)
                if base is None:
                    base = self._bases[creds.profile] = session(creds.profile)
                extra: dict[str, str] = {"RoleSessionName": creds.session_name}
                if creds.external_id:
                    extra["ExternalId"] = creds.external_id
                fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
                    client_creator=sts_creator(base, self.sts_region(base), self._shared),
                    source_credentials=base.get_credentials(),
                    role_arn=creds.role_arn,
                    extra_args=extra,
                )
                assumed = botocore.credentials.DeferredRefreshableCredentials(
                    refresh_using=fetcher.fetch_credentials, method="assume-role"
                )
                resolver = botocore.credentials.CredentialResolver(providers=[_Given(assumed)])
                found.register_component("credential_provider", resolver)
            self._sessions[creds] = found
        return found

    def sts_region(self, base: Session) -> str | None:
        """Where roles are assumed from this base session: its region, else the run's home."""
        return region_of(base) or self._home_region

    def client(self, creds: Credentials, region: str, service: str) -> Any:
        """The run's client of this service for these credentials in this region.

        A service named "NAME@REGION" (e.g. "wafv2@us-east-1") is served from that region
        whatever the target's: a kind whose resources live in one region only.
        """
        name, _, pinned = service.partition("@")
        with self._lock:
            held = self._clients.setdefault((creds, region), {})
            client = held.get(service)
            if client is None:
                sess = self._session(creds)
                config = self._configs.get(creds)
                if config is None:
                    config = _config(sess, self._pool, self._proxies)
                    self._configs[creds] = config
                client = sess.create_client(name, region_name=pinned or region, config=config)
                if self._shared:
                    POOLS.adopt(client, self._shared)
                held[service] = client
            return client

    def release(self, creds: Credentials, region: str) -> None:
        """Forget one target's clients: a run keeps only those of targets still to change."""
        with self._lock:
            self._clients.pop((creds, region), None)

    def forget(self, creds: Credentials) -> None:
        """Drop an assumed role's session and every client of it (~250 KiB an account)."""
        with self._lock:
            self._configs.pop(creds, None)
            if creds.role_arn is not None:
                self._sessions.pop(creds, None)
            for key in [k for k in self._clients if k[0] == creds]:
                del self._clients[key]

    def ec2(self, creds: Credentials, region: str) -> EC2Client:
        """The run's EC2 client for these credentials in this region."""
        return cast("EC2Client", self.client(creds, region, "ec2"))

    def clients(self, creds: Credentials, region: str) -> Callable[[str], Any]:
        """A function giving one target's client of any service."""
        return functools.partial(self.client, creds, region)


def sts_creator(base: Session, home: str | None, shared: int = 0) -> Callable[..., Any]:
    """How the assume-role fetcher makes its STS client: in the run's home region.

    NOTE: botocore's fetcher makes its client with no region, so AssumeRole would go to the
    global endpoint, whose tokens opt-in regions refuse (and another partition's runs need
    their own); with a region, botocore >= 1.40 resolves the regional endpoint by default.
    """

    def create(service_name: str, **kwargs: Any) -> Any:
        kwargs.setdefault("config", _config(base))
        # Fetchers of many accounts share the base session, which is not thread-safe.
        with _base_lock:
            client = base.create_client(service_name, region_name=home, **kwargs)
        if shared:
            POOLS.adopt(client, shared)
        return client

    return create


def region_of(sess: Session) -> str | None:
    """The region the SDK settings give (AWS_REGION first, as AWS CLI v2 does)."""
    # NOTE: botocore itself reads only AWS_DEFAULT_REGION and the profile's region.
    region = os.environ.get("AWS_REGION") or sess.get_config_variable("region")
    return str(region) if region else None


def _retry_settings(sess: Session) -> dict[str, str | int]:
    # NOTE: the user's own AWS_RETRY_MODE / AWS_MAX_ATTEMPTS (or the profile's retry_mode /
    # max_attempts) win; otherwise we pin them so behaviour does not drift with botocore.
    scoped = sess.get_scoped_config()
    mode = os.environ.get("AWS_RETRY_MODE") or scoped.get("retry_mode") or DEFAULT_RETRY_MODE
    attempts = os.environ.get("AWS_MAX_ATTEMPTS") or scoped.get("max_attempts")
    try:
        total = int(attempts) if attempts else DEFAULT_MAX_ATTEMPTS
    except ValueError:
        raise ConfigError(f"max_attempts must be a whole number, not {attempts!r}") from None
    return {"mode": str(mode), "total_max_attempts": total}


def _config(sess: Session, pool: int = 10, proxies: dict[str, str] | None = None) -> Config:
    return Config(
        retries=_retry_settings(sess),  # type: ignore[arg-type]  # keys checked by botocore
        user_agent_extra=f"sgupdater/{__version__}",
        max_pool_connections=pool,
        connect_timeout=_timeouts["connect"],
        read_timeout=_timeouts["read"],
        # None: botocore reads the environment's (per endpoint, honouring NO_PROXY).
        proxies=proxies,
    )


def ec2_client(sess: Session, region: str, *, pool: int = 10) -> EC2Client:
    """An EC2 client that honours the SDK's endpoint and retry settings."""
    client = sess.create_client("ec2", region_name=region, config=_config(sess, pool))
    return cast("EC2Client", client)


def sts_client(sess: Session, region: str | None) -> STSClient:
    """An STS client with the same settings."""
    return cast("STSClient", sess.create_client("sts", region_name=region, config=_config(sess)))


def organizations_client(sess: Session) -> OrganizationsClient:
    """An Organizations client with the same settings."""
    client = sess.create_client("organizations", config=_config(sess))
    return cast("OrganizationsClient", client)


@functools.lru_cache(maxsize=64)
def partition_of(region: str) -> str:
    """The partition a region belongs to (aws, aws-cn, aws-us-gov, ...), from botocore's data."""
    try:
        return str(_resolver().get_partition_for_region(region))
    except botocore.exceptions.UnknownRegionError:
        # A region botocore does not know yet (DescribeRegions vouched for it): the partition
        # its name says, else aws.
        return next((p for pre, p in _PREFIXES if region.startswith(pre)), "aws")


_PREFIXES = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"))


@functools.lru_cache(maxsize=1)
def _resolver() -> Session:
    session = botocore.session.Session()
    session.register_component("data_loader", _loader())
    return session


def known_regions(sess: Session) -> frozenset[str]:
    """Every EC2 region botocore knows of, across partitions."""
    names: set[str] = set()
    for partition in sess.get_available_partitions():
        names.update(sess.get_available_regions("ec2", partition_name=partition))
    return frozenset(names)


# What one target's work may fail with: AWS's answers, botocore's own errors, and ours.
FAILURES = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, TargetError)


def target_error(exc: Exception) -> TargetError:
    """Turn a botocore failure into a printable TargetError with the AWS error code."""
    if isinstance(exc, TargetError):
        return exc
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "ClientError"))
        message = str(error.get("Message", "")) or str(exc)
        return TargetError(f"{code}: {message}", code=code)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return TargetError("no credentials found", code="NoCredentials")
    timeouts = (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError)
    if isinstance(exc, timeouts):
        waited = _timeouts["read" if isinstance(exc, timeouts[0]) else "connect"]
        return TargetError(
            f"{exc} (each attempt waited {waited:g} s; --timeout sets it)", code=type(exc).__name__
        )
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return TargetError(f"cannot reach the endpoint: {exc}", code="EndpointConnectionError")
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return TargetError(str(exc), code=type(exc).__name__)
    raise exc
