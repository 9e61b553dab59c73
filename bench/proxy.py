"""A latency-injecting HTTP proxy on 127.0.0.1 that counts requests by API action."""

from __future__ import annotations

import http.client
import http.server
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class LatencyProxy:
    """Forwards every request to `upstream` after `delay` seconds, counting actions."""

    def __init__(self, upstream: str, delay: float) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay = delay
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                target = self.headers.get("X-Amz-Target", "")
                action = target.rpartition(".")[2] if target else ""
                if not action:
                    values = parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])
                    action = values[0]
                with proxy._lock:
                    proxy.counts[action] += 1
                time.sleep(proxy.delay)
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream.request("POST", self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where clients should send their requests."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LatencyProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def take_counts(self) -> Counter[str]:
        """The counts since the last call, then zero them."""
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
