"""HTTPS for the local endpoints the benchmarks measure: a throw-away CA, and a server whose
new connections cost the round trips a real one does.

AWS answers only over HTTPS, and a new TLS connection costs round trips before its first
request: TCP's handshake and TLS 1.3's (two at the network's latency; TLS 1.2 takes three).
The SDK trusts the CA through AWS_CA_BUNDLE, as it would a corporate one.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from testkit.proxy import LoopbackServer

CA_FILE, CERT_FILE, KEY_FILE = "ca.pem", "server.pem", "server.key"
# The count, beside the counts by action, of TLS handshakes the server completed.
HANDSHAKES = "(tls handshakes)"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_ca(directory: Path) -> Path:
    """A CA and a certificate it signs for 127.0.0.1 and localhost, written to `directory`;
    the CA's file (for AWS_CA_BUNDLE)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("sgupdater test CA"))
        .issuer_name(_name("sgupdater test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CA_FILE).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / CERT_FILE).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / KEY_FILE).write_bytes(_pem(key))
    return directory / CA_FILE


class TLSLoopbackServer(LoopbackServer):
    """A LoopbackServer speaking TLS; each new connection first waits out its round trips."""

    def __init__(self, address: tuple[str, int], handler: Any, tls: Path, latency: float):
        super().__init__(address, handler)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(tls / CERT_FILE, tls / KEY_FILE)
        self.latency = latency
        self.handshakes = 0
        self._count_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        """In the connection's own thread: the handshake, its round trips, then the requests."""
        assert isinstance(request, socket.socket)
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        # TCP's round trip and TLS 1.3's one (TLS 1.2: two), at the network's latency.
        time.sleep(self.latency * (2 if wrapped.version() == "TLSv1.3" else 3))
        with self._count_lock:
            self.handshakes += 1
        self.RequestHandlerClass(wrapped, client_address, self)  # type: ignore[arg-type]
