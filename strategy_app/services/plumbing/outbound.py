"""Posting JSON to an address someone typed in, safely: http(s) only, never to the app itself,
loopback, link-local or cloud-metadata addresses, and always to the address that was checked.

The host is resolved once and every address it resolves to is checked; the connection then
goes to one of those addresses (TLS still verifies the host name), so a name that resolves
differently a moment later (DNS rebinding) cannot slip through. Redirects are not followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.azure.internal"})
# Cloud metadata services outside the link-local ranges (AWS over IPv6, Alibaba).
METADATA_NETWORKS = (
    ipaddress.ip_network("fd00:ec2::254/128"),
    ipaddress.ip_network("100.100.100.200/32"),
)
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # reaches the local host on Linux
MAX_URL = 2000


class RefusedUrl(ValueError):
    """An address webhooks may not be sent to; the text says why, in plain words."""


@dataclass(frozen=True)
class Target:
    """A checked address: its parts, and the IP addresses it may be reached at."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _resolve(host: str, port: int) -> list[IP]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    found: list[IP] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip not in found:
            found.append(ip)
    return found


def _parts(url: str) -> tuple[str, str, int, str]:
    if len(url) > MAX_URL:
        raise RefusedUrl(f"The address is longer than {MAX_URL} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise RefusedUrl("This is not a valid web address.") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedUrl(
            "Only web addresses starting with https:// or http:// can receive updates."
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise RefusedUrl("The address has no host name.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def check(url: str, base_url: str, allow_loopback: bool = False) -> Target:
    """The checked target of url, or RefusedUrl saying why it may not receive webhooks.

    base_url is the app's own address (APP_BASE_URL): never posted to. allow_loopback lets
    tests reach a receiver on 127.0.0.1 (the app itself is still refused, by host and port).
    """
    scheme, host, port, path = _parts(url)
    if host in METADATA_HOSTS:
        raise RefusedUrl("This address belongs to a cloud metadata service.")
    try:
        _, own_host, own_port, _ = _parts(base_url)
    except RefusedUrl:
        own_host, own_port = "", 0
    itself = RefusedUrl("This is the address of this app itself.")
    if host == own_host and (port == own_port or not allow_loopback):
        raise itself
    addresses = _resolve(host, port)
    if not addresses:
        raise RefusedUrl("The host name cannot be found.")
    for ip in addresses:
        if ip.is_loopback and not allow_loopback:
            raise RefusedUrl("This address points at this machine itself, not at a chat service.")
        if ip.is_link_local or any(ip in net for net in METADATA_NETWORKS):
            raise RefusedUrl(
                "This address belongs to the server's internal network (link-local, or a cloud "
                "metadata service) and cannot receive updates."
            )
        if ip.is_unspecified or ip.is_multicast or ip in THIS_NETWORK:
            raise RefusedUrl("This address cannot receive updates.")
        if ip.is_reserved and not ip.is_loopback:
            raise RefusedUrl("This address cannot receive updates.")
    # The same machine under another name (in tests, loopback is shared: the port decides).
    if own_host and not allow_loopback and set(addresses) & set(_resolve(own_host, own_port)):
        raise itself
    return Target(scheme, host, port, path, tuple(str(ip) for ip in addresses))


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.addresses[0]

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.addresses[0]
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post_json(target: Target, payload: dict, timeout: float) -> int:
    """POST payload as JSON to the checked target; return the HTTP status.

    Raises OSError (timeouts included) or http.client.HTTPException when it cannot be sent.
    """
    body = json.dumps(payload, ensure_ascii=False).encode()
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = kind(target, timeout)
    try:
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": "strategy-tracker"},
        )
        response = conn.getresponse()
        response.read(4096)
        return response.status
    finally:
        conn.close()
