"""HTTPS through the pinned transport: the TCP connection goes to the vetted address, while
SNI, the Host header and the certificate check still use the host name."""

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.fetch.client import FetchLimits, HttpClient
from shared.errors import PermanentError

LIMITS = FetchLimits(deadline=5, allowed_networks=("127.0.0.0/8", "::1/128"))


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA, and a server certificate it signed for the name 'localhost' only."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=copydesk test CA", cwd=folder)
    openssl("req", *key, "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=localhost", cwd=folder)
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext",
            cwd=folder)
    return folder


@pytest.fixture(scope="module")
def server(certificates: Path) -> Iterator[tuple[int, list[str]]]:
    """An HTTPS server on 127.0.0.1; it answers with the Host header and records the SNI."""
    names: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = f"host={self.headers['Host']}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")

    def record_sni(sock: ssl.SSLObject, name: str, ctx: ssl.SSLContext) -> None:
        names.append(name or "")

    context.sni_callback = record_sni
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], names
    httpd.shutdown()
    httpd.server_close()


def test_pinned_https_keeps_the_host_name(certificates: Path,
                                          server: tuple[int, list[str]]) -> None:
    port, names = server
    client = HttpClient(LIMITS, verify=str(certificates / "ca.pem"))
    download = client.get(f"https://localhost:{port}/page")
    assert download.content == f"host=localhost:{port}".encode()
    assert names[-1] == "localhost"


def test_the_certificate_is_checked_against_the_url_host(certificates: Path,
                                                         server: tuple[int, list[str]]) -> None:
    port, _ = server
    client = HttpClient(LIMITS, verify=str(certificates / "ca.pem"))
    with pytest.raises(PermanentError) as error:
        client.get(f"https://127.0.0.1:{port}/page")  # the certificate names localhost only
    assert error.value.reason == "tls_error"


def test_an_untrusted_certificate_is_refused(server: tuple[int, list[str]]) -> None:
    port, _ = server
    with pytest.raises(PermanentError) as error:
        HttpClient(LIMITS).get(f"https://localhost:{port}/page")
    assert error.value.reason == "tls_error"
