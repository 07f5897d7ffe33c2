"""The inter-service client against a real ASGI app standing in for the gateway and a service."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Form, Request, Response

from zhdj_shared.client import ServiceClient
from zhdj_shared.context import reset_request_id, set_request_id
from zhdj_shared.errors import ServiceUnavailable


def make_upstream(expires_in: int = 300) -> tuple[FastAPI, Counter[str], list[dict[str, Any]]]:
    app = FastAPI()
    calls: Counter[str] = Counter()
    seen: list[dict[str, Any]] = []

    @app.post("/auth/token")
    async def token(request: Request, grant_type: str = Form()) -> dict[str, Any]:
        calls["token"] += 1
        assert grant_type == "client_credentials"
        assert request.headers["authorization"].startswith("Basic ")
        return {"access_token": f"tok-{calls['token']}", "expires_in": expires_in}

    @app.api_route("/flaky", methods=["GET", "POST"])
    async def flaky(request: Request) -> Response:
        calls[f"flaky-{request.method}"] += 1
        seen.append(dict(request.headers))
        if calls[f"flaky-{request.method}"] < 3:
            return Response(status_code=503)
        return Response(content=b"ok")

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(5)
        return {}

    return app, calls, seen


def client_for(app: FastAPI, **kwargs: Any) -> ServiceClient:
    return ServiceClient(
        "http://gateway",
        client_id="svc-test",
        client_secret="s3cret",
        transport=httpx.ASGITransport(app=app),
        **kwargs,
    )


async def test_token_is_cached_and_sent() -> None:
    app, calls, seen = make_upstream()
    client = client_for(app, retries=2)
    for _ in range(3):
        calls["flaky-GET"] = 5  # healthy
        response = await client.get("/flaky")
        assert response.status_code == 200
    assert calls["token"] == 1
    assert seen[-1]["authorization"] == "Bearer tok-1"
    await client.aclose()


async def test_token_near_expiry_is_refreshed() -> None:
    app, calls, _ = make_upstream(expires_in=10)  # inside the refresh margin
    client = client_for(app)
    calls["flaky-GET"] = 5
    await client.get("/flaky")
    await client.get("/flaky")
    assert calls["token"] == 2
    await client.aclose()


async def test_idempotent_calls_are_retried_and_posts_are_not() -> None:
    app, calls, _ = make_upstream()
    client = client_for(app, retries=2)
    assert (await client.get("/flaky")).status_code == 200
    assert calls["flaky-GET"] == 3  # two 503s, then success
    assert (await client.post("/flaky")).status_code == 503
    assert calls["flaky-POST"] == 1  # never sent twice
    await client.aclose()


async def test_a_post_marked_idempotent_is_retried_like_a_get() -> None:
    """A batch read is a POST (docs/decisions/0007): with ``idempotent=True`` it is sent again
    on a 503 like a GET; a plain POST stays single."""
    app, calls, _ = make_upstream()
    client = client_for(app, retries=2)
    response = await client.post("/flaky", json={"ids": ["a"]}, idempotent=True)
    assert (response.status_code, response.text) == (200, "ok")
    assert calls["flaky-POST"] == 3  # two 503s, then success
    await client.aclose()


async def test_an_idempotent_post_gives_up_after_its_retries() -> None:
    app, calls, _ = make_upstream()
    client = client_for(app, retries=1)
    response = await client.post("/flaky", idempotent=True)
    assert response.status_code == 503  # the last answer is returned, as for a GET
    assert calls["flaky-POST"] == 2
    unreachable = ServiceClient(
        "http://127.0.0.1:9", client_id=None, client_secret=None, retries=1, connect_timeout=0.5
    )
    with pytest.raises(ServiceUnavailable, match="ConnectError"):
        await unreachable.post("/anything", json={}, idempotent=True)
    await unreachable.aclose()
    await client.aclose()


async def test_request_id_is_passed_on() -> None:
    app, calls, seen = make_upstream()
    client = client_for(app)
    calls["flaky-GET"] = 5
    token = set_request_id("req-1234567890")
    try:
        await client.get("/flaky")
    finally:
        reset_request_id(token)
    assert seen[-1]["x-request-id"] == "req-1234567890"
    await client.aclose()


async def test_deadline_bounds_the_whole_call() -> None:
    app, _, _ = make_upstream()
    client = client_for(app, deadline=0.2, retries=3)
    started = asyncio.get_running_loop().time()
    with pytest.raises(ServiceUnavailable, match="no answer"):
        await client.get("/slow")
    assert asyncio.get_running_loop().time() - started < 2
    await client.aclose()


async def test_unreachable_service_is_service_unavailable() -> None:
    client = ServiceClient(
        "http://127.0.0.1:9", client_id=None, client_secret=None, retries=1, connect_timeout=0.5
    )
    with pytest.raises(ServiceUnavailable) as failure:
        await client.get("/anything")
    assert failure.value.status == 503
    await client.aclose()
