"""Real sockets for the edge's tests: an upstream served by uvicorn, the edge served by uvicorn.

The upstream echoes what it received (method, raw path, query, headers, body) so a test can see
exactly what the edge forwarded. The identity app is a small stand-in FastAPI app with the
attributes the edge uses (``token_verifier``, ``api_keys``, ``key_store``), until the real one is
wired in by ``zhdj_gateway.app.create_app``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, create_model

from tests.support.serving import dead_url, free_port, serve
from tests.support.tokens import TestKeys
from zhdj_gateway.app import create_app
from zhdj_gateway.edge import RateLimiter
from zhdj_gateway.settings import GatewaySettings

VALID_API_KEY = "zk_valid_test_key_0123456789"
__all__ = ["dead_url", "free_port", "serve"]  # re-exported from tests.support.serving


# -- the upstream -------------------------------------------------------------------------------


@dataclass
class UpstreamControl:
    calls: int = 0
    release_stream: asyncio.Event = field(default_factory=asyncio.Event)
    first_chunk_seen: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        self.calls = 0
        self.release_stream = asyncio.Event()
        self.first_chunk_seen = asyncio.Event()


class Organization(BaseModel):
    """Collides with the identity stand-in's ``Organization`` (different fields)."""

    id: str
    name: str


def upstream_app(control: UpstreamControl) -> FastAPI:
    app = FastAPI(title="registry stand-in")

    async def echo(request: Request) -> Response:
        control.calls += 1
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.scope["query_string"].decode(),
                "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
                "body": body.decode(),
            },
            status_code=201 if request.method == "POST" else 200,
            headers={"x-upstream": "registry"},
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    for path in ("/api/registry/echo/", "/open311/v2/", "/api/service-requests/"):
        app.add_api_route(path + "{rest:path}", echo, methods=methods, include_in_schema=False)

    @app.get("/api/registry/organizations/{org_id}")
    async def organization(org_id: str) -> Organization:
        return Organization(id=org_id, name="示范社区")

    @app.get("/api/registry/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first;"
            await control.release_stream.wait()
            yield b"second"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.post("/api/registry/upload")
    async def upload(request: Request) -> dict[str, Any]:
        received = b""
        async for chunk in request.stream():
            received += chunk
            if received:
                control.first_chunk_seen.set()
        return {
            "received": received.decode(),
            "transfer_encoding": request.headers.get("transfer-encoding"),
        }

    @app.get("/api/registry/hop")
    async def hop() -> Response:
        return Response(
            b"ok",
            headers={
                "Connection": "x-up-hop",
                "X-Up-Hop": "secret",
                "Keep-Alive": "timeout=5",
                "Proxy-Foo": "bar",
                "X-Kept": "yes",
            },
        )

    @app.get("/api/registry/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(1.0)
        return {"status": "late"}

    @app.get("/api/registry/unavailable")
    async def unavailable() -> Response:
        control.calls += 1
        return Response(b'{"detail": "db down"}', status_code=503)

    @app.get("/api/registry/ok")
    async def ok() -> dict[str, str]:
        control.calls += 1
        return {"status": "ok"}

    return app


@pytest.fixture(scope="module")
async def upstream_control() -> UpstreamControl:
    return UpstreamControl()


@pytest.fixture(scope="module")
async def upstream_url(upstream_control: UpstreamControl) -> AsyncIterator[str]:
    async with serve(upstream_app(upstream_control), lifespan="off") as url:
        yield url


@pytest.fixture
def control(upstream_control: UpstreamControl) -> UpstreamControl:
    upstream_control.reset()
    return upstream_control


# -- the identity stand-in ---------------------------------------------------------------------


class FakeApiKeys:
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens
        self.asked: list[str] = []

    async def token_for(self, raw_key: str) -> str | None:
        self.asked.append(raw_key)
        return self.tokens.get(raw_key)


class FakeKeyStore:
    def __init__(self, keys: TestKeys) -> None:
        self._keys = keys

    async def jwks(self) -> dict[str, Any]:
        return self._keys.jwks


class Profile(BaseModel):
    subject: str


# Named like the upstream's model, with other fields: the merged schema must keep both.
IdentityOrganization = create_model("Organization", code=(int, ...))


def identity_app(keys: TestKeys, api_key_token: str) -> FastAPI:
    from contextlib import asynccontextmanager as acm

    @acm
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.lifespan_events.append("startup")
        yield
        app.state.lifespan_events.append("shutdown")

    app = FastAPI(title="identity stand-in", lifespan=lifespan)
    app.state.lifespan_events = []
    app.state.token_verifier = keys.verifier()
    app.state.api_keys = FakeApiKeys({VALID_API_KEY: api_key_token})
    app.state.key_store = FakeKeyStore(keys)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/auth/me")
    async def me(request: Request) -> Profile:
        return Profile(subject=request.headers.get("authorization", "anonymous"))

    @app.get("/auth/echo-headers")
    async def echo_headers(request: Request) -> dict[str, Any]:
        return {"headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]]}

    @app.post("/auth/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.get("/auth/organizations/{code}", response_model=IdentityOrganization)
    async def organization(code: int) -> Any:
        return {"code": code}

    return app


def test_settings(**overrides: Any) -> GatewaySettings:
    """Settings whose default upstreams are all dead (no stray local service interferes)."""
    values: dict[str, Any] = {
        "registry_url": dead_url(),
        "activity_url": dead_url(),
        "service_requests_url": dead_url(),
        "assessment_url": dead_url(),
        "rate_limit_per_ip": 1000.0,
        "rate_limit_ip_burst": 1000,
        "rate_limit_per_client": 1000.0,
        "rate_limit_client_burst": 1000,
        "max_body_bytes": 1_000_000,
        "upstream_connect_timeout": 1.0,
        "upstream_read_timeout": 5.0,
        "upstream_deadline": 5.0,
    }
    values.update(overrides)
    settings = GatewaySettings(**values)
    settings.redis_url = None
    return settings


test_settings.__test__ = False  # type: ignore[attr-defined]


@dataclass
class EdgeUnderTest:
    client: httpx.AsyncClient
    url: str
    identity: FastAPI
    api_keys: FakeApiKeys


EdgeFactory = Callable[..., AbstractAsyncContextManager[EdgeUnderTest]]


@pytest.fixture
def api_key_token(keys: TestKeys) -> str:
    return keys.mint(sub="client:thirdparty", kind="client", client_id="thirdparty")


@pytest.fixture
def make_edge(keys: TestKeys, upstream_url: str, api_key_token: str) -> EdgeFactory:
    """``async with make_edge(setting=value, ...) as edge``: the edge served by uvicorn."""

    @asynccontextmanager
    async def build(
        *,
        upstreams: dict[str, str] | None = None,
        rate_limiter: RateLimiter | None = None,
        **overrides: Any,
    ) -> AsyncIterator[EdgeUnderTest]:
        identity = identity_app(keys, api_key_token)
        app = create_app(
            test_settings(**overrides),
            identity_app=identity,
            upstreams=upstreams
            if upstreams is not None
            else {"registry": upstream_url, "service-requests": upstream_url},
            rate_limiter=rate_limiter,
        )
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield EdgeUnderTest(
                client=client, url=url, identity=identity, api_keys=identity.state.api_keys
            )

    return build
