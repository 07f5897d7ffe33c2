"""Header handling on the hot path: one scan of the request head, hop-by-hop stripping both ways.

Headers stay lists of ``(bytes, bytes)`` tuples as ASGI gives them; they are decoded to ``str``
only once, when the request is handed to aiohttp.
"""

from __future__ import annotations

from collections.abc import Iterable

Header = tuple[bytes, bytes]

# RFC 9110 section 7.6.1 plus the legacy ones every proxy strips; Proxy-* is matched by prefix.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Never forwarded upstream: replaced by the edge (forwarding, request id), exchanged (API key),
# set by the client library (host) or handled by the front server (expect).
_REQUEST_DROP = HOP_BY_HOP | {
    b"host",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"x-request-id",
    b"x-api-key",
    b"expect",
}
# The front server writes its own Date and Server.
_RESPONSE_DROP = HOP_BY_HOP | {b"date", b"server"}
_EMPTY: frozenset[bytes] = frozenset()


def connection_tokens(values: Iterable[bytes]) -> frozenset[bytes]:
    """Header names listed in ``Connection`` (they are hop-by-hop too)."""
    return frozenset(
        token.strip().lower() for value in values for token in value.split(b",") if token.strip()
    )


class RequestHead:
    """The few request headers the edge decides on, found in one pass."""

    __slots__ = (
        "api_key",
        "authorization",
        "connection",
        "content_length",
        "content_type",
        "has_body",
        "host",
        "origin",
    )

    def __init__(self, headers: list[Header]) -> None:
        self.origin: bytes | None = None
        self.authorization: bytes | None = None
        self.api_key: bytes | None = None
        self.content_length: bytes | None = None
        self.content_type: bytes | None = None
        self.host: bytes | None = None
        self.connection: list[bytes] | None = None
        self.has_body = False
        for name, value in headers:
            if name == b"authorization":
                self.authorization = value
            elif name == b"content-length":
                self.content_length = value
                self.has_body = True
            elif name == b"content-type":
                self.content_type = value
            elif name == b"host":
                self.host = value
            elif name == b"origin":
                self.origin = value
            elif name == b"x-api-key":
                self.api_key = value
            elif name == b"transfer-encoding":
                self.has_body = True
            elif name == b"connection":
                self.connection = [*(self.connection or ()), value]

    def bearer_token(self) -> str | None:
        value = self.authorization
        if value is None or len(value) < 8 or value[:7].lower() != b"bearer ":
            return None
        return value[7:].strip().decode("latin-1") or None

    def named_hop_headers(self) -> frozenset[bytes]:
        return connection_tokens(self.connection) if self.connection else _EMPTY


def upstream_request_headers(
    headers: list[Header],
    head: RequestHead,
    *,
    client_ip: str,
    scheme: str,
    request_id: str,
    authorization: str | None,
    drop_length: bool = False,
) -> list[tuple[str, str]]:
    """The headers to send upstream: hop-by-hop gone, ``X-Forwarded-*`` and the request id set.

    ``authorization`` (from an API-key exchange) replaces the caller's; ``drop_length`` lets
    the client library recompute ``Content-Length`` for a rewritten body.
    """
    named = head.named_hop_headers()
    out: list[tuple[str, str]] = []
    forwarded_for: str | None = None
    for name, value in headers:
        if name in _REQUEST_DROP or name.startswith(b"proxy-") or name in named:
            if name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
            continue
        if (authorization is not None and name == b"authorization") or (
            drop_length and name == b"content-length"
        ):
            continue
        out.append((name.decode("latin-1"), value.decode("latin-1")))
    out.append(("x-forwarded-for", _forwarded_for(forwarded_for, client_ip)))
    out.append(("x-forwarded-proto", scheme))
    if head.host is not None:
        out.append(("x-forwarded-host", head.host.decode("latin-1")))
    out.append(("x-request-id", request_id))
    if authorization is not None:
        out.append(("authorization", authorization))
    return out


def _forwarded_for(chain: str | None, client_ip: str) -> str:
    """The chain plus the peer; not twice when the server already took the peer from the chain
    (uvicorn's proxy headers, trusted for the ingress through ``FORWARDED_ALLOW_IPS``).
    """
    if not chain:
        return client_ip
    if chain.rsplit(",", 1)[-1].strip() == client_ip:
        return chain
    return f"{chain}, {client_ip}"


def downstream_response_headers(raw: Iterable[Header]) -> list[Header]:
    """The upstream's response headers minus hop-by-hop ones (and those the front server sets)."""
    named: frozenset[bytes] = _EMPTY
    out: list[Header] = []
    for name, value in raw:
        lower = name.lower()
        if lower in _RESPONSE_DROP or lower.startswith(b"proxy-"):
            if lower == b"connection":
                named = named | connection_tokens((value,))
            continue
        out.append((lower, value))
    if named:
        out = [(name, value) for name, value in out if name not in named]
    return out
