"""The reverse proxy: one shared ``aiohttp.ClientSession``, bodies streamed both ways.

Timeouts: ``connect`` and ``sock_read`` per attempt, and ``total`` as the overall deadline of the
whole exchange, response body included. The edge retries nothing itself; aiohttp resends an
idempotent request once when a pooled keep-alive connection turns out to be closed, inside the
same ``total`` timer, so the deadline still bounds it. Connection errors are never retried:
they are scored by the upstream's circuit breaker instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import aiohttp
from starlette.types import Receive, Send
from yarl import URL

from zhdj_gateway.edge.body import BodyTooLarge, ClientGone, StreamedBody, too_large_detail
from zhdj_gateway.edge.breaker import CircuitBreaker
from zhdj_gateway.edge.headers import downstream_response_headers
from zhdj_gateway.edge.problems import retry_after, send_problem
from zhdj_shared.errors import BadGateway, GatewayTimeout, PayloadTooLarge, ServiceUnavailable

logger = logging.getLogger("zhdj.gateway.proxy")

POOL_LIMIT = 1024  # connections in all; aiohttp's default (100) queues requests under load
POOL_LIMIT_PER_HOST = 512
KEEPALIVE_SECONDS = 30.0


class RouteLabel:
    """What ``RequestContextMiddleware`` reads from ``scope["route"]`` for the metric label."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class Upstream:
    __slots__ = ("base", "breaker", "label", "name")

    def __init__(self, name: str, base_url: str, breaker: CircuitBreaker) -> None:
        self.name = name
        self.base = base_url.rstrip("/")
        self.breaker = breaker
        self.label = RouteLabel(f"/api/{name}/*")


def new_session(
    connect_timeout: float, read_timeout: float, deadline: float
) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        limit=POOL_LIMIT,
        limit_per_host=POOL_LIMIT_PER_HOST,
        keepalive_timeout=KEEPALIVE_SECONDS,
        ttl_dns_cache=300,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=deadline, connect=connect_timeout, sock_read=read_timeout
        ),
        auto_decompress=False,  # bytes pass through as the service encoded them
        cookie_jar=aiohttp.DummyCookieJar(),  # never keep one user's cookies for another
        skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
        raise_for_status=False,
    )


class ReverseProxy:
    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self.session: aiohttp.ClientSession | None = None

    async def forward(
        self,
        upstream: Upstream,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        receive: Receive,
        send: Send,
        *,
        has_body: bool,
        body: bytes | None = None,
    ) -> None:
        """Send the request to ``upstream`` (``target``: raw path and query) and relay the answer.

        ``body`` is a body the edge already read (and rewrote); otherwise, when ``has_body``,
        the body is streamed from ``receive``.
        """
        session = self.session
        assert session is not None, "the edge's lifespan has not run"
        breaker = upstream.breaker
        if not breaker.allow():
            await send_problem(
                send,
                ServiceUnavailable,
                f"The {upstream.name} service is unavailable; try again shortly.",
                headers=(retry_after(breaker.retry_in()),),
            )
            return
        stream: StreamedBody | None = None
        try:
            data: object = body
            if body is None and has_body:
                stream = StreamedBody(receive, self.max_body_bytes)
                data = stream.chunks() if await stream.start() else stream.first
            response = await session.request(
                method,
                URL(upstream.base + target, encoded=True),
                headers=headers,
                data=data,
                allow_redirects=False,
            )
        except Exception as exc:
            await self._failed(upstream, exc, stream, send)
            return
        try:
            breaker.record_status(response.status)
            await relay(response, send)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # The answer has started (upstream or client gone): all we can do is cut it short;
            # the server closes the connection, so no one mistakes it for a complete response.
            logger.warning(
                "response relay interrupted",
                extra={"fields": {"upstream": upstream.name, "error": type(exc).__name__}},
            )
            response.close()
        finally:
            response.release()

    async def _failed(
        self, upstream: Upstream, exc: Exception, stream: StreamedBody | None, send: Send
    ) -> None:
        """No response from the upstream: say why, and score it unless the client caused it."""
        cause = stream.failure if stream is not None and stream.failure is not None else exc
        if isinstance(cause, ClientGone):
            upstream.breaker.release()
            return
        if isinstance(cause, BodyTooLarge):
            upstream.breaker.release()
            await send_problem(send, PayloadTooLarge, too_large_detail(self.max_body_bytes))
            return
        if isinstance(cause, TimeoutError):
            upstream.breaker.failure()
            log_upstream_error(upstream, cause)
            await send_problem(
                send, GatewayTimeout, f"The {upstream.name} service did not answer in time."
            )
            return
        if isinstance(cause, aiohttp.ClientError | OSError):
            upstream.breaker.failure()
            log_upstream_error(upstream, cause)
            await send_problem(send, BadGateway, f"The {upstream.name} service cannot be reached.")
            return
        upstream.breaker.release()
        raise exc


def log_upstream_error(upstream: Upstream, exc: BaseException) -> None:
    logger.warning(
        "upstream request failed",
        extra={"fields": {"upstream": upstream.name, "error": type(exc).__name__}},
    )


async def relay(response: aiohttp.ClientResponse, send: Send) -> None:
    """Stream the upstream's answer to the client as it arrives (no buffering)."""
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": downstream_response_headers(response.raw_headers),
        }
    )
    content = response.content
    while True:
        chunk = await content.readany()
        if not chunk:
            break
        if content.at_eof():
            await send({"type": "http.response.body", "body": chunk})
            return
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def upstream_table(
    urls: Mapping[str, str], *, failures: int, reset_seconds: float
) -> dict[str, Upstream]:
    return {
        name: Upstream(name, url, CircuitBreaker(failures, reset_seconds))
        for name, url in urls.items()
    }
