"""The address filter for every outbound request a customer can aim (webhooks, image URLs): only
http(s) to public addresses, connecting to exactly the address that was checked.

Rules (`settings.OUTBOUND_ALLOW_LOOPBACK` relaxes only the second group):
- always refused: unspecified and "this network" (0.0.0.0/8, ::), link-local (169.254/16,
  fe80::/10), multicast, reserved and broadcast, cloud metadata addresses (169.254.169.254,
  fd00:ec2::254, 100.100.100.200), IPv4-mapped/-compatible IPv6, 6to4 and Teredo (they smuggle an
  IPv4 address), and anything else that is not globally routable;
- refused unless OUTBOUND_ALLOW_LOOPBACK: loopback (127/8, ::1) and private networks (RFC 1918,
  CGNAT 100.64/10, IPv6 unique-local fc00::/7).
Every address a host name resolves to must pass, and the connection then goes to the first one
(with the original Host header and TLS server name), so a DNS answer that changes between the
check and the connection (DNS rebinding) cannot reach a refused address. Redirects are followed
by hand, each hop checked again.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

MAX_REDIRECTS = 3
RESPONSE_EXCERPT_BYTES = 64 * 1024

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
ALWAYS_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host on Linux
        "169.254.0.0/16",
        "fe80::/10",
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
        "::/96",  # IPv4-compatible (deprecated)
    )
)
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


class UnsafeURL(ValueError):
    """The URL may not be fetched: its scheme, its host or one of its addresses is refused."""


class UnresolvableHost(UnsafeURL):
    """The host name has no address right now (which may change, unlike a refused address)."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    host: str  # as written in the URL (what Host and the TLS server name carry)
    address: str  # the checked IP address the connection goes to


def _allow_private(allow_private):
    return settings.OUTBOUND_ALLOW_LOOPBACK if allow_private is None else allow_private


def address_problem(address, *, allow_private=False):
    """Why an IP address is refused, in words, or None when it is fine."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:  # before the networks below: ::1 sits inside ::/96
        return None if allow_private else "a loopback address"
    if ip.is_unspecified or any(ip in net for net in ALWAYS_REFUSED_NETWORKS):
        return "a link-local or reserved address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if any(ip in net for net in PRIVATE_NETWORKS):
        return None if allow_private else "a private address"
    if not ip.is_global:
        # Documentation, benchmarking and other special-purpose ranges: nothing to reach there.
        return "a special-purpose address"
    return None


def resolve(host, port):
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHost(f"The host {host!r} could not be resolved.") from exc
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        addr = sockaddr[0].split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise UnresolvableHost(f"The host {host!r} has no address.")
    return addresses


def check_url(url, *, allow_private=None) -> Target:
    """The Target to connect to for `url`, or UnsafeURL saying why it is refused.

    `allow_private` None follows settings.OUTBOUND_ALLOW_LOOPBACK.
    """
    allow = _allow_private(allow_private)
    if not isinstance(url, str) or len(url) > 2048:
        raise UnsafeURL("The URL must be a string of at most 2048 characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Only http and https URLs are allowed.")
    try:
        parsed = httpx.URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except (httpx.InvalidURL, ValueError) as exc:
        raise UnsafeURL("The URL is not valid.") from exc
    # The IDNA (ASCII) form is what DNS, the Host header and the TLS server name all carry.
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise UnsafeURL("The URL has no host.")
    addresses = resolve(host, port)
    for addr in addresses:
        if problem := address_problem(addr, allow_private=allow):
            raise UnsafeURL(f"The host {host!r} resolves to {problem}, which is not allowed.")
    return Target(url=parsed, host=host, address=addresses[0])


def _pinned(client, method, target, *, headers=None, content=None):
    """A request to target.address that still says target.host in Host and TLS SNI."""
    ip = ipaddress.ip_address(target.address)
    request = client.build_request(
        method,
        target.url.copy_with(host=str(ip)),
        headers=headers,
        content=content,
        extensions={"sni_hostname": target.host},
    )
    default_port = {"http": 80, "https": 443}[target.url.scheme]
    host_header = target.host
    if ":" in host_header:
        host_header = f"[{host_header}]"
    if target.url.port and target.url.port != default_port:
        host_header = f"{host_header}:{target.url.port}"
    request.headers["Host"] = host_header
    return request


def _client(timeout, verify):
    # trust_env off: an HTTP(S)_PROXY in the environment would connect somewhere we never checked.
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=verify)


def _read_capped(response, max_bytes, deadline, *, truncate=False):
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            if truncate:
                chunks.append(chunk[: max_bytes - (size - len(chunk))])
                break
            raise UnsafeURL(f"The answer is larger than {max_bytes} bytes.")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("The answer took too long.", request=response.request)
    return b"".join(chunks)


def safe_get(url, *, max_bytes, allowed_types, timeout=10, allow_private=None, verify=True):
    """GET a public URL: (body bytes, content type). Raises UnsafeURL for a refused address,
    a redirect to one, a wrong content type or an oversized body; httpx errors for the network.

    `allowed_types` are media types such as "image/png" (parameters after ';' are ignored).
    `verify` is httpx's: True (the usual CAs) or an ssl.SSLContext.
    """
    deadline = time.monotonic() + timeout
    with _client(timeout, verify) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target = check_url(url, allow_private=allow_private)
            # The cap counts decoded bytes, so a small compressed bomb cannot get past it.
            request = _pinned(client, "GET", target, headers={"Accept": ", ".join(allowed_types)})
            response = client.send(request, stream=True)
            try:
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    url = str(target.url.join(location))
                    continue
                if response.status_code != 200:
                    raise UnsafeURL(f"The URL answered HTTP {response.status_code}.")
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
                if content_type.lower() not in {t.lower() for t in allowed_types}:
                    raise UnsafeURL(
                        f"The URL answered {content_type or 'no content type'}; "
                        f"expected one of {', '.join(allowed_types)}."
                    )
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > max_bytes:
                    raise UnsafeURL(f"The answer is larger than {max_bytes} bytes.")
                return _read_capped(response, max_bytes, deadline), content_type
            finally:
                response.close()
    raise UnsafeURL(f"More than {MAX_REDIRECTS} redirects.")


def safe_post(
    url, *, content, headers, timeout=10, allow_private=None, verify=True
) -> httpx.Response:
    """POST to a public URL without following redirects. The answer's body is read up to 64 KB
    (enough to log; a receiver cannot make us download gigabytes)."""
    deadline = time.monotonic() + timeout
    target = check_url(url, allow_private=allow_private)
    with _client(timeout, verify) as client:
        request = _pinned(client, "POST", target, headers=headers, content=content)
        response = client.send(request, stream=True)
        try:
            excerpt = _read_capped(response, RESPONSE_EXCERPT_BYTES, deadline, truncate=True)
        finally:
            response.close()
    return httpx.Response(
        response.status_code,
        headers=[(k, v) for k, v in response.headers.items() if k.lower() != "content-encoding"],
        content=excerpt,
        request=request,
    )
