"""The outbound address filter: which URLs may be fetched, and that fetches reach only the
checked address (a loopback server stands in for the internet; DNS answers are staged)."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from veoportal import netguard
from veoportal.netguard import UnsafeURL, check_url, safe_get, safe_post

pytestmark = pytest.mark.sqlite

ALWAYS_REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    "http://169.254.1.1/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://0.0.0.0/",
    "http://0.1.2.3/",
    "http://[::]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:8.8.8.8]/",
    "http://[2002:7f00:1::1]/",
    "http://192.0.2.10/",  # documentation range
]
LOOPBACK_OR_PRIVATE = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0x7f.0.0.1/",
    "http://localhost:8000/",
    "http://[::1]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
]


@pytest.mark.parametrize("url", ALWAYS_REFUSED + LOOPBACK_OR_PRIVATE)
def test_it_refuses_non_public_addresses_by_default(settings, url):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL):
        check_url(url)


@pytest.mark.parametrize("url", ALWAYS_REFUSED)
def test_it_refuses_metadata_link_local_and_reserved_even_when_loopback_is_allowed(settings, url):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with pytest.raises(UnsafeURL):
        check_url(url)


@pytest.mark.parametrize("url", LOOPBACK_OR_PRIVATE)
def test_the_setting_allows_loopback_and_private_addresses(settings, url):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    assert check_url(url).address


@pytest.mark.parametrize(
    "url",
    [
        "ftp://8.8.8.8/x",
        "file:///etc/passwd",
        "gopher://8.8.8.8/",
        "javascript:alert(1)",
        "//8.8.8.8/",
    ],
)
def test_it_refuses_schemes_other_than_http_and_https(url):
    with pytest.raises(UnsafeURL, match="http"):
        check_url(url)


def test_it_accepts_a_public_address_and_pins_it():
    target = check_url("https://8.8.8.8:8443/hook?x=1")
    assert target.address == "8.8.8.8"
    assert target.host == "8.8.8.8"


def test_it_refuses_a_host_that_does_not_resolve():
    with pytest.raises(UnsafeURL, match="could not be resolved"):
        check_url("https://no-such-host.invalid/")


def stage_dns(monkeypatch, answers):
    """Resolve the names in `answers` to the listed addresses, one list per call (the last one
    repeats): a DNS server that changes its answer between lookups."""
    real = socket.getaddrinfo
    calls = {}

    def fake(host, port, *args, **kwargs):
        if host in answers:
            seq = answers[host]
            n = calls.get(host, 0)
            calls[host] = n + 1
            addrs = seq[min(n, len(seq) - 1)]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in addrs
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return calls


def test_every_address_of_a_host_must_pass(settings, monkeypatch):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    stage_dns(monkeypatch, {"mixed.example": [["8.8.8.8", "10.0.0.1"]]})
    with pytest.raises(UnsafeURL, match="private"):
        check_url("https://mixed.example/")


class Recorder(BaseHTTPRequestHandler):
    routes = {}
    seen = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, self.headers.get("Host"), body))
        status, headers, payload = self.routes.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (Recorder,), {"routes": {}, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.routes, httpd.seen = handler.routes, handler.seen
    yield httpd
    httpd.shutdown()
    httpd.server_close()


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


def test_safe_get_refuses_loopback_unless_allowed(settings, server):
    server.routes["/a.png"] = (200, {"Content-Type": "image/png"}, PNG)
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL, match="loopback"):
        safe_get(server.base + "/a.png", max_bytes=1000, allowed_types=["image/png"])
    assert server.seen == []
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    body, content_type = safe_get(
        server.base + "/a.png", max_bytes=1000, allowed_types=["image/png"]
    )
    assert (body, content_type) == (PNG, "image/png")


def test_safe_get_checks_type_size_and_status(settings, server):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server.routes["/page"] = (200, {"Content-Type": "text/html; charset=utf-8"}, b"<html>")
    server.routes["/big.png"] = (200, {"Content-Type": "image/png"}, PNG * 20)
    server.routes["/gone.png"] = (410, {"Content-Type": "image/png"}, b"")
    with pytest.raises(UnsafeURL, match="text/html"):
        safe_get(server.base + "/page", max_bytes=1000, allowed_types=["image/png"])
    with pytest.raises(UnsafeURL, match="larger than 1000 bytes"):
        safe_get(server.base + "/big.png", max_bytes=1000, allowed_types=["image/png"])
    with pytest.raises(UnsafeURL, match="410"):
        safe_get(server.base + "/gone.png", max_bytes=1000, allowed_types=["image/png"])


def test_safe_get_rechecks_every_redirect_hop(settings, server):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server.routes["/to-metadata"] = (
        302,
        {"Location": "http://169.254.169.254/latest/meta-data/"},
        b"",
    )
    server.routes["/hop"] = (301, {"Location": "/a.png"}, b"")
    server.routes["/a.png"] = (200, {"Content-Type": "image/png"}, PNG)
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(UnsafeURL, match="metadata"):
        safe_get(server.base + "/to-metadata", max_bytes=1000, allowed_types=["image/png"])
    assert safe_get(server.base + "/hop", max_bytes=1000, allowed_types=["image/png"])[0] == PNG
    with pytest.raises(UnsafeURL, match="redirects"):
        safe_get(server.base + "/loop", max_bytes=1000, allowed_types=["image/png"])
    assert [path for _, path, _, _ in server.seen].count("/loop") == netguard.MAX_REDIRECTS + 1


def test_safe_get_connects_to_the_checked_address_despite_dns_rebinding(
    settings, server, monkeypatch
):
    """The first lookup says loopback (allowed here), any later one says the metadata address:
    the fetch must still reach the loopback server, carrying the original Host."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    port = server.server_address[1]
    server.routes["/a.png"] = (200, {"Content-Type": "image/png"}, PNG)
    calls = stage_dns(monkeypatch, {"rebind.example": [["127.0.0.1"], ["169.254.169.254"]]})
    body, _ = safe_get(
        f"http://rebind.example:{port}/a.png", max_bytes=1000, allowed_types=["image/png"]
    )
    assert body == PNG
    assert calls["rebind.example"] == 1
    assert server.seen[-1][2] == f"rebind.example:{port}"


def test_safe_post_follows_no_redirect_and_sends_the_body(settings, server):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server.routes["/hook"] = (307, {"Location": "/elsewhere"}, b"moved")
    response = safe_post(
        server.base + "/hook", content=b'{"a": 1}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 307
    assert [(m, p, b) for m, p, _, b in server.seen] == [("POST", "/hook", b'{"a": 1}')]


def test_safe_post_refuses_private_targets_before_sending(settings, server):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL):
        safe_post(server.base + "/hook", content=b"{}", headers={})
    assert server.seen == []


def test_safe_post_keeps_only_an_excerpt_of_a_huge_answer(settings, server):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server.routes["/hook"] = (200, {"Content-Type": "text/plain"}, b"x" * 200_000)
    response = safe_post(server.base + "/hook", content=b"{}", headers={})
    assert response.status_code == 200
    assert len(response.content) == netguard.RESPONSE_EXCERPT_BYTES


def test_an_international_host_name_is_checked_and_sent_in_its_ascii_form(
    settings, server, monkeypatch
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    port = server.server_address[1]
    server.routes["/a.png"] = (200, {"Content-Type": "image/png"}, PNG)
    stage_dns(monkeypatch, {"xn--bcher-kva.example": [["127.0.0.1"]]})
    body, _ = safe_get(
        f"http://bücher.example:{port}/a.png", max_bytes=1000, allowed_types=["image/png"]
    )
    assert body == PNG
    assert server.seen[-1][2] == f"xn--bcher-kva.example:{port}"


def self_signed(tmp_path, name):
    """A certificate for `name` (and its key) that only our test context trusts."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_to_the_pinned_address_still_checks_the_certificate_for_the_host_name(
    settings, server, monkeypatch, tmp_path
):
    """The connection goes to the checked IP, yet TLS names the original host (SNI) and the
    certificate must match it: another name on the same address is refused."""
    import ssl

    import httpx

    settings.OUTBOUND_ALLOW_LOOPBACK = True
    cert, key = self_signed(tmp_path, "pinned.example")
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    server.routes["/a.png"] = (200, {"Content-Type": "image/png"}, PNG)
    port = server.server_address[1]
    stage_dns(
        monkeypatch,
        {
            "pinned.example": [["127.0.0.1"], ["169.254.169.254"]],
            "other.example": [["127.0.0.1"]],
        },
    )
    trust = ssl.create_default_context(cafile=str(cert))
    body, _ = safe_get(
        f"https://pinned.example:{port}/a.png",
        max_bytes=1000,
        allowed_types=["image/png"],
        verify=trust,
    )
    assert body == PNG
    assert server.seen[-1][2] == f"pinned.example:{port}"
    with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
        safe_get(
            f"https://other.example:{port}/a.png",
            max_bytes=1000,
            allowed_types=["image/png"],
            verify=trust,
        )
