"""The edge: one pure-ASGI app in front of the identity app and the four services.

Per HTTP request, in order: CORS preflight, per-IP rate limit, declared body size, then either
the edge's own pages (``/openapi.json``, ``/docs``, ``/metrics``), the reverse proxy for
``/api/<service>/`` and ``/open311/`` (API key exchanged, per-client rate limit, forwarded), or
the identity app for everything else (same checks, called in-process).
``RequestContextMiddleware`` wraps the edge (see ``zhdj_gateway.app``), so every answer here,
problems included, carries the request id and is logged and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Receive, Scope, Send

from zhdj_gateway.edge.apikeys import (
    OPEN311_FORM_LIMIT,
    OPEN311_PREFIX,
    ApiKeyExchange,
    is_form,
    strip_api_key,
)
from zhdj_gateway.edge.body import (
    BodyTooLarge,
    ClientGone,
    limit_streamed_body,
    read_body,
    too_large_detail,
)
from zhdj_gateway.edge.cors import Cors, is_preflight
from zhdj_gateway.edge.headers import Header, RequestHead, upstream_request_headers
from zhdj_gateway.edge.openapi import DOCS_HTML, Document, OpenApiAggregator
from zhdj_gateway.edge.problems import retry_after, send_problem
from zhdj_gateway.edge.proxy import ReverseProxy, RouteLabel, Upstream, new_session, upstream_table
from zhdj_gateway.edge.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from zhdj_gateway.settings import GatewaySettings
from zhdj_shared.context import current_request_id
from zhdj_shared.db import database_unavailable
from zhdj_shared.errors import (
    DATABASE_UNAVAILABLE_DETAIL,
    DatabaseUnavailable,
    NotFound,
    PayloadTooLarge,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from zhdj_shared.lifespan import ChildLifespan
from zhdj_shared.observability import Metrics, new_request_id
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role
from zhdj_shared.security.tokens import InvalidToken, SigningKeysUnavailable, TokenVerifier

if TYPE_CHECKING:  # the edge reaches the identity app's parts only through its state
    from zhdj_gateway.identity.revocations import Revocations

logger = logging.getLogger("zhdj.gateway.edge")

# Liveness and readiness probes are never rate-limited.
_UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})
_OPENAPI_LABEL = RouteLabel("/openapi.json")
_DOCS_LABEL = RouteLabel("/docs")
_METRICS_LABEL = RouteLabel("/metrics")
_JSON = (b"content-type", b"application/json")


@dataclass(frozen=True)
class _Caller:
    """The verified bearer token of a request: its rate-limit bucket and its claims."""

    key: str  # client id, or the user's subject
    is_service: bool  # a platform service (client credentials with the ``service`` role)
    claims: Mapping[str, Any]


class Edge:
    def __init__(
        self,
        settings: GatewaySettings,
        identity: ASGIApp,
        *,
        upstreams: Mapping[str, str],
        rate_limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.identity = identity
        self.metrics = metrics
        self.upstreams = upstream_table(
            upstreams,
            failures=settings.breaker_failures,
            reset_seconds=settings.breaker_reset_seconds,
        )
        self.open311 = self.upstreams.get("service-requests")
        self.cors = Cors(settings.cors_origins)
        self.limiter: RateLimiter | None = rate_limiter
        self.proxy = ReverseProxy(settings.max_body_bytes)
        self.openapi = OpenApiAggregator(self._identity_schema, upstreams)
        self._lifespan = ChildLifespan(identity)
        self._verifier: TokenVerifier | None = None
        self._api_keys: ApiKeyExchange | None = None
        self._revocations: Revocations | None = None

    # -- lifespan ---------------------------------------------------------------------------

    async def startup(self, state: dict[str, Any] | None = None) -> None:
        await self._lifespan.startup(state)
        identity_state = getattr(self.identity, "state", None)
        self._verifier = getattr(identity_state, "token_verifier", None)
        self._api_keys = getattr(identity_state, "api_keys", None)
        self._revocations = getattr(identity_state, "revocations", None)
        s = self.settings
        self.proxy.session = new_session(
            s.upstream_connect_timeout, s.upstream_read_timeout, s.upstream_deadline
        )
        if self.limiter is None:
            self.limiter = (
                RedisRateLimiter.from_url(s.redis_url) if s.redis_url else MemoryRateLimiter()
            )

    async def shutdown(self) -> None:
        if self.proxy.session is not None:
            await self.proxy.session.close()
            self.proxy.session = None
        if self.limiter is not None:
            await self.limiter.aclose()
            self.limiter = None
        await self._lifespan.shutdown()

    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        try:
            await self.startup(scope.get("state"))
        except Exception as exc:
            logger.exception("gateway startup failed")
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        try:
            await self.shutdown()
        except Exception as exc:
            logger.exception("gateway shutdown failed")
            await send({"type": "lifespan.shutdown.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.shutdown.complete"})

    # -- requests ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._run_lifespan(scope, receive, send)
        else:  # websockets: no service offers one
            await send({"type": "websocket.close", "code": 1003})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[Header] = scope["headers"]
        head = RequestHead(headers)
        if head.origin is not None and self.cors.enabled:
            if is_preflight(scope["method"], headers):
                await self.cors.preflight(headers, head.origin, send)
                return
            if self.cors.allows(head.origin):
                send = self.cors.wrap(send, head.origin)
        path: str = scope["path"]
        caller = await self._caller(head.bearer_token())  # verified once per request
        if path not in _UNLIMITED_PATHS and not await self._within_ip_limit(scope, caller, send):
            return
        if not await self._declared_length_ok(head, send):
            return
        if caller is not None and await self._revoked(caller, send):
            return
        if path.startswith(("/api/", OPEN311_PREFIX)):
            await self._proxied(scope, receive, send, head, path, caller)
        elif path in ("/openapi.json", "/docs", "/metrics"):
            await self._own_page(scope, send, path)
        else:
            await self._to_identity(scope, receive, send, head, caller)

    async def _within_ip_limit(self, scope: Scope, caller: _Caller | None, send: Send) -> bool:
        """Per-address bucket for callers without a valid token. A caller whose bearer token
        verifies is limited per client instead: many users behind one NAT, or every platform
        service calling through the gateway from one address, must not share one bucket."""
        if caller is not None:
            return True
        s = self.settings
        wait = await self._hit("ip:" + client_ip(scope), s.rate_limit_per_ip, s.rate_limit_ip_burst)
        if wait:
            await send_problem(
                send,
                TooManyRequests,
                "Too many requests from this address.",
                headers=(retry_after(wait),),
            )
            return False
        return True

    async def _within_client_limit(self, caller: _Caller | None, send: Send) -> bool:
        """Per-client bucket, only for a token that verifies (an invalid one earns none).
        Platform services (role ``service``) have their own, larger rate: an assessment
        recompute reads thousands of figures through the gateway."""
        if caller is None:
            return True
        s = self.settings
        rate, burst = (
            (s.rate_limit_per_service_client, s.rate_limit_service_client_burst)
            if caller.is_service
            else (s.rate_limit_per_client, s.rate_limit_client_burst)
        )
        wait = await self._hit("client:" + caller.key, rate, burst)
        if wait:
            await send_problem(
                send,
                TooManyRequests,
                "Too many requests from this client.",
                headers=(retry_after(wait),),
            )
            return False
        return True

    async def _hit(self, key: str, rate: float, burst: int) -> float:
        limiter = self.limiter
        assert limiter is not None, "the edge's lifespan has not run"
        return await limiter.hit(key, rate, burst)

    async def _caller(self, token: str | None) -> _Caller | None:
        """Who a bearer token that verifies speaks for, else ``None`` (a token that does not
        verify goes on: the service it is for refuses it, with the reason)."""
        verifier = self._verifier
        if token is None or verifier is None:
            return None
        try:
            claims = (await verifier.verify(token)).claims
        except (InvalidToken, SigningKeysUnavailable):
            return None
        # The same reading of the claims as every service's (roles as a list or a string).
        principal = Principal.from_claims(claims)
        return _Caller(
            key=principal.client_id or principal.subject,
            is_service=principal.kind == "client" and Role.SERVICE in principal.roles,
            claims=claims,
        )

    async def _revoked(self, caller: _Caller, send: Send) -> bool:
        """A valid token revoked before it expires (signed out, account or client changed) is
        refused here, for every service behind the edge; True when the caller is answered."""
        if self._revocations is None or not self._revocations.refuses(caller.claims):
            return False
        await send_problem(
            send,
            Unauthorized,
            "The token has been revoked: refresh it or sign in again.",
            headers=((b"www-authenticate", b'Bearer error="invalid_token"'),),
        )
        return True

    async def _declared_length_ok(self, head: RequestHead, send: Send) -> bool:
        if head.content_length is None:
            return True
        try:
            length = int(head.content_length)
        except ValueError:
            await send_problem(send, Problem, "Content-Length is not a number.")
            return False
        if length > self.settings.max_body_bytes:
            await send_problem(
                send, PayloadTooLarge, too_large_detail(self.settings.max_body_bytes)
            )
            return False
        return True

    async def _exchange_api_key(self, raw_key: str, send: Send) -> str | None:
        """``Bearer <token>`` for a valid key; None when the caller has been answered."""
        exchange = self._api_keys
        if exchange is None:
            await send_problem(send, ServiceUnavailable, "API keys cannot be checked right now.")
            return None
        try:
            token = await exchange.token_for(raw_key)
        except Exception as exc:
            # The exchange reads the gateway's database outside the identity app, so its
            # handlers do not see a lost connection: answered here as they would (503, retry).
            if not database_unavailable(exc):
                raise
            await send_problem(
                send, DatabaseUnavailable, DATABASE_UNAVAILABLE_DETAIL, headers=(retry_after(1),)
            )
            return None
        if token is None:
            await send_problem(
                send,
                Unauthorized,
                "The API key is not valid.",
                headers=((b"www-authenticate", b'ApiKey realm="zhdj"'),),
            )
            return None
        return "Bearer " + token

    # -- the reverse proxy --------------------------------------------------------------------

    async def _proxied(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        head: RequestHead,
        path: str,
        caller: _Caller | None,
    ) -> None:
        upstream = self._route(path)
        if upstream is None:
            await send_problem(send, NotFound, "No service answers under this path.")
            return
        scope["route"] = upstream.label
        query: bytes = scope["query_string"]
        body: bytes | None = None
        raw_key = head.api_key.decode("latin-1") if head.api_key is not None else None
        if upstream is self.open311 and path.startswith(OPEN311_PREFIX):
            if query:
                query, query_key = strip_api_key(query)
                raw_key = raw_key if raw_key is not None else query_key
            if is_form(head.content_type) and head.has_body:
                try:
                    body, body_key = strip_api_key(await read_body(receive, OPEN311_FORM_LIMIT))
                except BodyTooLarge:
                    await send_problem(send, PayloadTooLarge, too_large_detail(OPEN311_FORM_LIMIT))
                    return
                except ClientGone:
                    return
                raw_key = raw_key if raw_key is not None else body_key
        authorization: str | None = None
        if raw_key is not None:
            authorization = await self._exchange_api_key(raw_key, send)
            if authorization is None:
                return
            caller = await self._caller(authorization[7:])
        if not await self._within_client_limit(caller, send):
            return
        forwarded = upstream_request_headers(
            scope["headers"],
            head,
            client_ip=client_ip(scope),
            scheme=scope.get("scheme", "http"),
            request_id=current_request_id() or new_request_id(),
            authorization=authorization,
            drop_length=body is not None,
        )
        await self.proxy.forward(
            upstream,
            scope["method"],
            target(scope, query),
            forwarded,
            receive,
            send,
            has_body=head.has_body,
            body=body,
        )

    def _route(self, path: str) -> Upstream | None:
        if path.startswith(OPEN311_PREFIX):
            return self.open311
        end = path.find("/", 5)
        return self.upstreams.get(path[5:] if end < 0 else path[5:end])

    # -- the identity app, in-process ---------------------------------------------------------

    async def _to_identity(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        head: RequestHead,
        caller: _Caller | None,
    ) -> None:
        authorization: str | None = None
        if head.api_key is not None:
            authorization = await self._exchange_api_key(head.api_key.decode("latin-1"), send)
            if authorization is None:
                return
            caller = await self._caller(authorization[7:])
        if not await self._within_client_limit(caller, send):
            return
        # The identity app sees the edge's request id (its own logs agree) and never a raw key.
        headers: list[Header] = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"x-request-id", b"x-api-key")
            and (authorization is None or name != b"authorization")
        ]
        headers.append((b"x-request-id", (current_request_id() or new_request_id()).encode()))
        if authorization is not None:
            headers.append((b"authorization", authorization.encode("latin-1")))
        scope["headers"] = headers  # in place: the outer middleware reads the matched route
        if head.has_body and head.content_length is None:
            await limit_streamed_body(
                self.identity, scope, receive, send, self.settings.max_body_bytes
            )
        else:
            await self.identity(scope, receive, send)

    # -- the edge's own pages ---------------------------------------------------------------

    async def _own_page(self, scope: Scope, send: Send, path: str) -> None:
        if path == "/openapi.json":
            scope["route"] = _OPENAPI_LABEL
            session = self.proxy.session
            assert session is not None, "the edge's lifespan has not run"
            await send_bytes(send, await self.openapi.document(session), _JSON)
        elif path == "/docs":
            scope["route"] = _DOCS_LABEL
            await send_bytes(send, DOCS_HTML, (b"content-type", b"text/html; charset=utf-8"))
        else:
            scope["route"] = _METRICS_LABEL
            rendered = self.metrics.render() if self.metrics is not None else b""
            await send_bytes(send, rendered, (b"content-type", CONTENT_TYPE_LATEST.encode()))

    async def _identity_schema(self) -> Document | None:
        openapi: Callable[[], Document] | None = getattr(self.identity, "openapi", None)
        return openapi() if callable(openapi) else None


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def target(scope: Scope, query: bytes) -> str:
    """The path exactly as the client sent it (percent-encoding kept), plus the query."""
    raw: bytes | None = scope.get("raw_path")
    if raw is None:
        path = quote(scope["path"])
    else:
        cut = raw.find(b"?")  # some servers (httpx's ASGI transport) include the query
        path = (raw if cut < 0 else raw[:cut]).decode("latin-1")
    return path + "?" + query.decode("latin-1") if query else path


async def send_bytes(send: Send, body: bytes, content_type: Header) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [content_type, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
