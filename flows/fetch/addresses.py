"""Which network addresses a fetch may reach.

A crawled site chooses where its links, redirects and robots.txt point, and its DNS chooses
where its host names resolve. Neither may send the crawler into the crawler's own network (a
cloud metadata endpoint at 169.254.169.254, a database's HTTP port on 127.0.0.1, a router on
192.168.1.1): no request goes to a loopback, private, link-local or otherwise non-public
address unless the source's own URL names it, by its address (`http://127.0.0.1:8000/`, an
intranet server written as `http://10.0.0.5/`) or as `localhost`.

The check is made on the addresses a host name resolves to, right before connecting, and the
connection goes to the address that was checked, so a name that resolves elsewhere a moment
later (DNS rebinding) gains nothing; a kept-alive connection is checked again before each
request, as the next request may come from a source that names other addresses. Through a
proxy, the target's name is resolved here and checked, and the proxy connects (best effort:
the proxy resolves it again).

The fetcher says what each request may reach (`allowing`); the connection classes it mounts on
its sessions (`GuardedHTTPConnection`, `GuardedHTTPSConnection`, which flows.fetch.http's
connection classes extend) enforce it, and raise `AddressRefused` before a byte is
sent.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import NameResolutionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses written as IPv6 (RFC 6052)


def _plain(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (`::ffff:127.0.0.1`, `64:ff9b::7f00:1`)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def internal_kind(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is ('loopback', 'link-local', 'private',
    'non-public'), None for a public one."""
    ip = _plain(ip)
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if ip.is_global and not ip.is_multicast:
        return None
    return "non-public"  # shared (100.64/10), reserved, multicast, unspecified (0.0.0.0)


@dataclass(frozen=True, slots=True)
class Allowance:
    """The non-public addresses one request may reach: those the source's URL names."""

    addresses: frozenset[IPAddress] = frozenset()
    loopback: bool = False  # the source's URL says `localhost`

    def permits(self, ip: IPAddress) -> bool:
        ip = _plain(ip)
        if internal_kind(ip) is None or ip in self.addresses:
            return True
        return self.loopback and ip.is_loopback


NOTHING_INTERNAL = Allowance()


def named_by(url: str) -> Allowance:
    """The non-public addresses `url` names: its host when that is an address, loopback when it
    is `localhost` (RFC 6761: always this machine, never a name a site controls)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return NOTHING_INTERNAL
    if host == "localhost" or host.endswith(".localhost"):
        return Allowance(loopback=True)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return NOTHING_INTERNAL
    return Allowance(frozenset({_plain(ip)}))


class AddressRefused(Exception):
    """A request would have gone to a non-public address the source does not name."""

    def __init__(self, host: str, ip: IPAddress) -> None:
        self.host = host
        self.ip = ip
        kind = internal_kind(ip)
        where = f"{ip}" if host == str(ip) else f"{host} resolves to {ip}"
        self.reason = (
            f"refused: {where}, a {kind} address that the source's URL does not name "
            "(see SECURITY.md)"
        )
        super().__init__(self.reason)


_state = threading.local()


def current() -> Allowance:
    allowance: Allowance = getattr(_state, "allowance", NOTHING_INTERNAL)
    return allowance


@contextmanager
def allowing(allowance: Allowance) -> Iterator[None]:
    """The requests this thread sends inside the block may reach `allowance`'s addresses."""
    previous = current()
    _state.allowance = allowance
    try:
        yield
    finally:
        _state.allowance = previous


def check(host: str, ip: IPAddress) -> None:
    if not current().permits(ip):
        raise AddressRefused(host, ip)


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to that this request may reach, in resolver order;
    AddressRefused when there are none (socket.gaierror when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    allowed: list[str] = []
    refused: AddressRefused | None = None
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 zone id is not part of the address
        ip = ipaddress.ip_address(text)
        try:
            check(host, ip)
        except AddressRefused as exc:
            refused = refused or exc
            continue
        if str(sockaddr[0]) not in allowed:
            allowed.append(str(sockaddr[0]))
    if not allowed and refused is not None:
        raise refused
    return allowed


def _connect(conn: HTTPConnection, new_conn: Callable[[], socket.socket]) -> socket.socket:
    """`conn`'s socket, connected to a checked address of its host (urllib3's own code does
    the connecting and names its errors; it is only given the address instead of the name)."""
    if conn.proxy is not None:
        return new_conn()  # the socket goes to the proxy; the target is checked per request
    name: str = conn._dns_host  # urllib3's name to resolve: the host, without IPv6 brackets
    try:
        addresses = checked_addresses(name, conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    last: Exception | None = None
    for address in addresses:
        conn._dns_host = address
        try:
            sock: socket.socket = new_conn()
        except Exception as exc:  # urllib3's mapped errors: try the next address
            last = exc
            continue
        finally:
            conn._dns_host = name
        conn._agencywatch_peer = ipaddress.ip_address(address.split("%", 1)[0])  # type: ignore[attr-defined]
        return sock
    assert last is not None  # getaddrinfo never answers an empty list
    raise last


def _before_request(conn: HTTPConnection, url: str) -> None:
    """Check a request about to be sent: on a kept-alive connection, its address against this
    request's allowance; through a proxy, the target's addresses."""
    if conn.proxy is not None:
        target = conn._tunnel_host or urlsplit(url).hostname
        if target:
            checked_addresses(target, conn.port)
        return
    peer = getattr(conn, "_agencywatch_peer", None)
    if peer is not None and conn.sock is not None:
        check(conn.host, peer)


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self, super()._new_conn)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        _before_request(self, url)
        super().request(method, url, *args, **kwargs)


class GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self, super()._new_conn)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        _before_request(self, url)
        super().request(method, url, *args, **kwargs)
