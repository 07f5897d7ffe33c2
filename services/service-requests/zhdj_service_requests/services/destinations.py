"""Where a webhook may be sent: never into the platform's own network in production.

A subscription's URL is checked when it is created (``check_url``), but a host name can resolve to
a public address then and to ``10.0.0.5`` or ``169.254.169.254`` later (DNS rebinding, or a
record simply changed). So in production every delivery resolves the host itself, refuses when
any address is not globally routable, and connects to the address it checked: the request goes
to that IP, with the original ``Host`` header, and TLS verifies the certificate against the
original name (``sni_hostname``, which httpcore uses as the TLS server name). Nothing is sent to
an address that was not checked, so no second lookup can swap it.

Outside production the policy lets any URL through: developers and tests deliver to
``http://127.0.0.1``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zhdj_shared.errors import FieldError, Unprocessable

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# ``(host, port)`` → the addresses a connection could go to.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class DestinationRefused(Exception):
    """The URL may not be delivered to; the message says why (it goes into the delivery log)."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, *, production: bool) -> None:
    """At subscription: https in production, and no host that names a private address there.

    Numeric hosts are read the way resolvers read them (``127.1``, ``0x7f000001`` and
    ``2130706433`` are all 127.0.0.1), and a trailing dot does not hide ``localhost``.
    Names are checked again, resolved, at every delivery (``DestinationPolicy``).
    """
    parts = urlsplit(url)
    allowed = {"https"} if production else {"https", "http"}
    problem: str | None = None
    if parts.scheme not in allowed or not parts.hostname:
        problem = "an https URL is required" if production else "an http(s) URL is required"
    elif parts.username or parts.password:
        problem = "credentials in the URL are not allowed"
    elif production and _internal_host(parts.hostname):
        problem = "the URL points into a private network"
    if problem:
        raise Unprocessable(problem, errors=[FieldError(field="url", message=problem)])


def _internal_host(host: str) -> bool:
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith((".localhost", ".local", ".internal")):
        return True
    address = numeric_address(name)
    return address is not None and not address.is_global


def numeric_address(host: str) -> IpAddress | None:
    """The address a numeric host stands for, in any notation a resolver accepts; else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton: the classic forms, 127.1, 0x7f.0.0.1, 017700000001, 2130706433
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


@dataclass(frozen=True)
class Destination:
    """What to connect to, and what to tell the server about the name it was asked for."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DestinationPolicy:
    production: bool
    resolve: Resolver = system_resolver

    async def destination(self, url: str) -> Destination:
        """The pinned destination of ``url``; raises ``DestinationRefused`` in production
        when the host cannot be resolved or any of its addresses is not public."""
        if not self.production:
            return Destination(url)
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme != "https" or not host:
            raise DestinationRefused("refused: only https URLs are delivered in production")
        port = parts.port or 443
        try:
            addresses = await self.resolve(host, port)
        except OSError as exc:
            raise DestinationRefused(f"refused: {host} cannot be resolved ({exc})") from exc
        internal = [a for a in addresses if not ipaddress.ip_address(a).is_global]
        if not addresses or internal:
            shown = ", ".join(internal or addresses) or "no address"
            raise DestinationRefused(f"refused: {host} resolves to a private address ({shown})")
        address = addresses[0]
        netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        return Destination(
            pinned,
            headers={"host": parts.netloc},
            extensions={"sni_hostname": host},
        )
