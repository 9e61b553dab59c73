"""A latency-injecting HTTP proxy on 127.0.0.1 that counts requests by API action.

It runs in a process of its own, so its work never competes with moto's for one interpreter
lock, and keeps one upstream connection per client connection.
"""

from __future__ import annotations

import http.client
import http.server
import json
import random
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}
COUNTS_PATH = "/__bench_counts"
# The count of connections clients opened, beside the counts by action.
CONNECTIONS = "(connections)"


_THROTTLED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    b"</Error></Errors><RequestID>fault</RequestID></Response>"
)
_INTERNAL = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
    b"<Code>InternalError</Code><Message>An internal error has occurred.</Message>"
    b"</Error></Errors><RequestID>fault</RequestID></Response>"
)
_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
    b"<Code>Unavailable</Code><Message>The server is overloaded.</Message>"
    b"</Error></Errors><RequestID>fault</RequestID></Response>"
)
FAULTS = ("throttle", "error500", "unavailable503", "reset-before", "reset-after", "slow")
_ERRORS = {
    "throttle": (503, _THROTTLED),
    "error500": (500, _INTERNAL),
    "unavailable503": (503, _UNAVAILABLE),
}
# The same faults as the other protocols spell them: (status, code, message).
_CODES = {
    "throttle": (400, "Throttling", "Rate exceeded"),
    "error500": (500, "InternalFailure", "An internal error has occurred."),
    "unavailable503": (503, "ServiceUnavailable", "The server is overloaded."),
}


def _service(headers: http.client.HTTPMessage | object) -> str:
    """The service a request is signed for (SigV4 credential scope: KEY/DATE/REGION/SERVICE)."""
    authorization = str(getattr(headers, "get", lambda *_: "")("Authorization", "") or "")
    scope = authorization.partition("Credential=")[2].split(",")[0].split("/")
    return scope[3] if len(scope) > 3 else ""


def error_body(fault: str, service: str, json_protocol: bool) -> tuple[int, bytes, str]:
    """A fault's answer as the request's protocol spells it: status, body, content type."""
    if service in ("ec2", ""):
        status, body = _ERRORS[fault]
        return status, body, "text/xml"
    status, code, message = _CODES[fault]
    if json_protocol:
        if fault == "throttle":
            code = "ThrottlingException"
        payload = json.dumps({"__type": code, "message": message}).encode()
        return status, payload, "application/x-amz-json-1.1"
    if service == "s3":
        code = "SlowDown" if fault == "throttle" else code
        status = 503 if fault == "throttle" else status
        xml = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    else:
        error = f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
        xml = f"<ErrorResponse><Error>{error}</Error><RequestId>fault</RequestId></ErrorResponse>"
    return status, b'<?xml version="1.0" encoding="UTF-8"?>' + xml.encode(), "text/xml"


class _State:
    """What every connection of the proxy shares: where to forward, faults drawn, counts."""

    def __init__(
        self,
        upstream: str,
        delay: float,
        share: float,
        seed: int,
        script: str = "",
        choices: tuple[str, ...] = FAULTS,
    ) -> None:
        parts = urlsplit(upstream)
        self.choices = choices
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay = delay
        self.share = share
        # A share of the calls meets a fault, drawn from a seeded generator so runs replay.
        self.chance = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        # "Action=fault*N,...": the first N calls of Action meet that fault; "Action=fault*N@each":
        # the first N calls of each distinct request of Action (each role's AssumeRole).
        self.script: dict[str, tuple[str, int]] = {}
        self.each: set[str] = set()
        for part in filter(None, script.split(",")):
            action, _, rest = part.partition("=")
            fault, _, times = rest.partition("*")
            count, _, mode = times.partition("@")
            self.script[action] = (fault, int(count or 1))
            if mode == "each":
                self.each.add(action)

    def take(self) -> Counter[str]:
        """The counts so far, then zero them."""
        with self.lock:
            taken, self.counts = self.counts, Counter()
        return taken

    def count(self, action: str, body: bytes = b"") -> str | None:
        """Count a call; the fault it meets, if any."""
        with self.lock:
            self.counts[action] += 1
            drawn = self.chance.random() < self.share
            fault = self.chance.choice(self.choices) if drawn else None
            key = f"{action}:{hash(body)}" if action in self.each else action
            scripted = self.script.get(key) or self.script.get(action)
            if scripted and scripted[1] > 0:
                # A scripted fault: the first N calls of this action meet it, whatever the share.
                if key != action and key not in self.script:
                    scripted = self.script[key] = scripted
                fault, self.script[key] = scripted[0], (scripted[0], scripted[1] - 1)
            if fault:
                self.counts[f"fault:{fault}"] += 1
        return fault


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """An HTTP/1.1 handler that keeps connections alive and logs nothing."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class LoopbackServer(http.server.ThreadingHTTPServer):
    """A threaded server whose threads end with the process; a deep queue for bursts."""

    daemon_threads = True
    request_queue_size = 512


class _Handler(QuietHandler):
    state: _State
    upstream: http.client.HTTPConnection | None = None

    def setup(self) -> None:
        # One handler per connection: how many connections clients opened (CONNECTIONS).
        super().setup()
        with self.state.lock:
            self.state.counts[CONNECTIONS] += 1

    def do_GET(self) -> None:
        if self.path != COUNTS_PATH:
            self._proxy("GET")
            return
        payload = json.dumps(self.state.take()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self._proxy("POST")

    def do_PUT(self) -> None:
        self._proxy("PUT")

    def do_DELETE(self) -> None:
        self._proxy("DELETE")

    def do_HEAD(self) -> None:
        self._proxy("HEAD")

    def _forward(self, method: str, body: bytes) -> http.client.HTTPResponse:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        for attempt in (1, 2):
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(*self.state.target, timeout=300)
            try:
                self.upstream.request(method, self.path, body=body, headers=headers)
                return self.upstream.getresponse()
            except (ConnectionError, http.client.HTTPException):
                # A kept-alive upstream connection may have been closed; open a new one.
                self.upstream.close()
                self.upstream = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _action(self, method: str, body: bytes) -> str:
        target = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        if target:
            return target
        if method == "POST":
            found = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
            if found:
                return found
        # A REST call (S3): its method and what it names, e.g. "GET ?policy".
        query = urlsplit(self.path).query
        return f"{method} ?{query.split('=')[0]}" if query else method

    def _proxy(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        action = self._action(method, body)
        fault = self.state.count(action, body)
        time.sleep(self.state.delay + (1.0 if fault == "slow" else 0.0))
        if fault in _ERRORS:
            json_protocol = bool(self.headers.get("X-Amz-Target"))
            status, payload, kind = error_body(fault, _service(self.headers), json_protocol)
            self._reply(status, payload, [("Content-Type", kind)])
            return
        if fault == "reset-before":
            self.close_connection = True
            return
        answer = self._forward(method, body)
        payload = answer.read()
        if fault == "reset-after":
            # The change is made, but the client never hears so: its retry must cope.
            self.close_connection = True
            return
        self._reply(answer.status, payload, answer.getheaders())

    def _reply(self, status: int, payload: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def _serve(
    upstream: str, delay: float, share: float = 0.0, seed: int = 0, script: str = "",
    choices: str = "", tls: str = "",
) -> None:  # fmt: skip
    state = _State(
        upstream, delay, share, seed, script, tuple(choices.split(",")) if choices else FAULTS
    )
    handler = type("Handler", (_Handler,), {"state": state})
    server: LoopbackServer
    if tls:
        # Imported here: testkit.tls builds on this module's server.
        from testkit.tls import TLSLoopbackServer

        server = TLSLoopbackServer(("127.0.0.1", 0), handler, Path(tls), delay)
    else:
        server = LoopbackServer(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class LatencyProxy:
    """Forwards every request to `upstream` after `delay` seconds, counting actions."""

    def __init__(
        self,
        upstream: str,
        delay: float,
        faults: float = 0.0,
        seed: int = 0,
        script: str = "",
        choices: tuple[str, ...] = FAULTS,
        tls: Path | None = None,
    ) -> None:
        """script: "Action=fault*N,...", the first N calls of each Action meet that fault
        ("Action=fault*N@each": of each distinct request); choices: the faults drawn; tls: a
        directory of testkit.tls.make_ca, to serve HTTPS (new connections pay handshakes)."""
        self._command = [
            sys.executable, "-m", "testkit.proxy", upstream, str(delay), str(faults), str(seed),
            script,
            ",".join(choices), str(tls or ""),
        ]  # fmt: skip
        self.tls = tls
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Where clients should send their requests."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> LatencyProxy:
        """Start the proxy process and wait until it listens."""
        # Run as a module from the repository root: it imports the rest of the test kit.
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen(self._command, stdout=subprocess.PIPE, text=True, cwd=root)
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())
        return self

    def take_counts(self, *, connections: bool = False) -> Counter[str]:
        """The counts by action since the last call, then zero them; with `connections`, also
        CONNECTIONS: the connections clients opened (not the one that asks)."""
        trust = str(self.tls / "ca.pem") if self.tls else None
        context = ssl.create_default_context(cafile=trust) if trust else None
        with urllib.request.urlopen(self.url + COUNTS_PATH, context=context) as answer:
            counts = Counter(json.loads(answer.read()))
        counts[CONNECTIONS] -= 1
        if not connections:
            del counts[CONNECTIONS]
        return +counts

    def stop(self) -> None:
        """Stop the proxy process."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            if self._process.stdout is not None:
                self._process.stdout.close()


if __name__ == "__main__":
    _serve(
        sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
        sys.argv[6] if len(sys.argv) > 6 else "", sys.argv[7] if len(sys.argv) > 7 else "",
    )  # fmt: skip
