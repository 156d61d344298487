"""POSTing to a receiver without being a way into our network (SSRF): the host is resolved, every
address it resolves to is checked, the connection goes to a checked address (no second lookup a
rebinding DNS could answer differently), timeouts are short and redirects are never followed."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

EXCERPT_BYTES = 500


class UnsafeDestination(Exception):
    """The URL points to an address we never send to (private, loopback, link-local…), or is malformed."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str
    duration_ms: int


def _checked(address: str, *, allow_private: bool) -> str:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        raise UnsafeDestination(_("%(address)s is not an address a webhook can be sent to.") % {"address": ip})
    if not ip.is_global and not allow_private:
        raise UnsafeDestination(
            _("%(address)s is a private, loopback or reserved address: webhooks are not sent there "
              "(HELPDESK_WEBHOOK_ALLOW_PRIVATE).") % {"address": ip})
    return str(ip)


def split_url(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination(_("Give an http:// or https:// URL."))
    if parts.username or parts.password:
        raise UnsafeDestination(_("The URL must not carry a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeDestination(_("The URL's port is not valid.")) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Every address `host` resolves to, each checked; refused if any one is unsafe."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeDestination(_("The host %(host)s could not be resolved.") % {"host": host}) from error
    addresses = []
    for *_rest, sockaddr in infos:
        address = _checked(sockaddr[0], allow_private=allow_private)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeDestination(_("The host %(host)s could not be resolved.") % {"host": host})
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    scheme, host, port, _path = split_url(url)
    resolve(host, port, allow_private=allow_private)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        # The certificate is checked against the host name, whatever address we connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Answer:
    """POST `body` once. Raises UnsafeDestination, or OSError (refused, timed out, TLS…)."""
    scheme, host, port, path = split_url(url)
    address = resolve(host, port, allow_private=allow_private)[0]
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", "replace")
        status = response.status
    except http.client.HTTPException as error:
        raise OSError(str(error) or error.__class__.__name__) from error
    finally:
        connection.close()
    return Answer(status=status, excerpt=excerpt, duration_ms=round((time.monotonic() - started) * 1000))
