"""Forwarding: paths, queries and bodies unchanged and streamed, headers cleaned, request ids."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.gateway.edge.conftest import EdgeFactory, UpstreamControl


def header_values(echo: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in echo["headers"] if k == name]


async def test_path_query_and_body_forwarded_unchanged(make_edge: EdgeFactory) -> None:
    body = '{"name": "示范社区", "n": 1}'.encode()
    async with make_edge() as edge:
        response = await edge.client.post(
            "/api/registry/echo/a%20b/%E4%B8%AD?x=1&y=%E4%B8%AD&x=2",
            content=body,
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 201
    assert response.headers["x-upstream"] == "registry"
    echo = response.json()
    assert echo["method"] == "POST"
    assert echo["raw_path"] == "/api/registry/echo/a%20b/%E4%B8%AD"
    assert echo["query"] == "x=1&y=%E4%B8%AD&x=2"
    assert echo["body"].encode() == body
    assert header_values(echo, "content-length") == [str(len(body))]


async def test_request_body_is_streamed_to_the_upstream(
    make_edge: EdgeFactory, control: UpstreamControl
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"part-one;"
        # Only a streaming edge lets the upstream see the first part before the last is sent.
        await asyncio.wait_for(control.first_chunk_seen.wait(), 3)
        yield b"part-two"

    async with make_edge() as edge:
        response = await edge.client.post("/api/registry/upload", content=chunks())
    assert response.status_code == 200
    assert response.json() == {"received": "part-one;part-two", "transfer_encoding": "chunked"}


async def test_response_body_is_streamed_to_the_client(
    make_edge: EdgeFactory, control: UpstreamControl
) -> None:
    async with make_edge() as edge, edge.client.stream("GET", "/api/registry/stream") as response:
        assert response.status_code == 200
        parts = response.aiter_raw()
        # The upstream holds "second" back until we have seen "first;": a buffering edge hangs.
        first = await asyncio.wait_for(parts.__anext__(), 3)
        assert first == b"first;"
        control.release_stream.set()
        rest = b"".join([chunk async for chunk in parts])
    assert rest == b"second"


async def test_hop_by_hop_headers_stripped_and_forwarding_headers_set(
    make_edge: EdgeFactory,
) -> None:
    async with make_edge() as edge:
        response = await edge.client.get(
            "/api/registry/echo/headers",
            headers={
                "Connection": "keep-alive, x-custom-hop",
                "X-Custom-Hop": "secret",
                "Keep-Alive": "timeout=5",
                "TE": "trailers",
                "Proxy-Authorization": "Basic c2VjcmV0",
                "Upgrade": "h2c",
                "X-Request-ID": "req-test-0000001",
                "X-Forwarded-For": "10.0.0.1",
                "X-Kept": "kept",
            },
        )
        hop = await edge.client.get("/api/registry/hop")
    assert response.status_code == 200
    echo = response.json()
    names = {k for k, _ in echo["headers"]}
    for gone in ("x-custom-hop", "keep-alive", "te", "proxy-authorization", "upgrade"):
        assert gone not in names
    assert header_values(echo, "connection") != ["keep-alive, x-custom-hop"]
    assert header_values(echo, "x-kept") == ["kept"]
    assert header_values(echo, "x-forwarded-for") == ["10.0.0.1, 127.0.0.1"]
    assert header_values(echo, "x-forwarded-proto") == ["http"]
    assert header_values(echo, "x-forwarded-host") == [edge.url.removeprefix("http://")]
    assert header_values(echo, "x-request-id") == ["req-test-0000001"]
    assert response.headers["x-request-id"] == "req-test-0000001"
    # And on the way back.
    assert hop.status_code == 200
    assert hop.headers["x-kept"] == "yes"
    for gone in ("x-up-hop", "keep-alive", "proxy-foo"):
        assert gone not in hop.headers
    assert "x-up-hop" not in hop.headers.get("connection", "")


async def test_a_request_id_is_generated_and_passed_on(make_edge: EdgeFactory) -> None:
    async with make_edge() as edge:
        response = await edge.client.get("/api/registry/echo/x", headers={"X-Request-ID": "bad"})
    sent = header_values(response.json(), "x-request-id")
    assert len(sent) == 1
    assert sent[0] != "bad"
    assert response.headers["x-request-id"] == sent[0]


async def test_unknown_api_prefix_is_a_404_problem(make_edge: EdgeFactory) -> None:
    async with make_edge() as edge:
        response = await edge.client.get("/api/nowhere/things", headers={"X-Request-ID": "r" * 16})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404
    assert problem["request_id"] == "r" * 16


async def test_other_paths_go_to_the_identity_app_after_its_lifespan(
    make_edge: EdgeFactory,
) -> None:
    async with make_edge() as edge:
        assert edge.identity.state.lifespan_events == ["startup"]
        response = await edge.client.get(
            "/auth/echo-headers", headers={"X-Request-ID": "identity-req-01"}
        )
        healthz = await edge.client.get("/healthz")
    assert edge.identity.state.lifespan_events == ["startup", "shutdown"]
    assert response.status_code == 200
    assert header_values(response.json(), "x-request-id") == ["identity-req-01"]
    assert healthz.json() == {"status": "ok"}


async def test_docs_page_links_the_openapi_document(make_edge: EdgeFactory) -> None:
    async with make_edge() as edge:
        response = await edge.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/openapi.json"' in response.text
    assert "https://" not in response.text  # nothing fetched from a CDN


async def test_metrics_count_proxied_requests_by_service(make_edge: EdgeFactory) -> None:
    async with make_edge() as edge:
        await edge.client.get("/api/registry/ok")
        metrics = await edge.client.get("/metrics")
    assert 'route="/api/registry/*"' in metrics.text


async def test_client_gets_no_raw_asgi_error_when_streaming_fails_early(
    make_edge: EdgeFactory,
) -> None:
    """A client that disconnects mid-body does not break the edge for the next request."""
    async with make_edge() as edge:

        async def broken() -> AsyncIterator[bytes]:
            yield b"x" * 10
            raise RuntimeError("client gave up")

        with contextlib.suppress(httpx.HTTPError, RuntimeError):
            await edge.client.post("/api/registry/upload", content=broken())
        response = await edge.client.get("/api/registry/ok")
    assert response.status_code == 200
