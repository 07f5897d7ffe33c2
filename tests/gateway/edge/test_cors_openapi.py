"""CORS at the edge, the aggregated OpenAPI document, and the small pure helpers."""

from __future__ import annotations

from typing import Any

from tests.gateway.edge.conftest import EdgeFactory, UpstreamControl, free_port
from zhdj_gateway.edge.apikeys import strip_api_key
from zhdj_gateway.edge.headers import downstream_response_headers
from zhdj_gateway.edge.openapi import merge_documents

ALLOWED = "https://console.zhdj.example"


async def test_preflight_for_an_allowed_origin_is_answered_at_the_edge(
    make_edge: EdgeFactory, control: UpstreamControl
) -> None:
    async with make_edge(cors_origins=[ALLOWED]) as edge:
        response = await edge.client.options(
            "/api/registry/echo/x",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "authorization, content-type"
    assert control.calls == 0


async def test_other_origins_get_no_cors_grant(
    make_edge: EdgeFactory, control: UpstreamControl
) -> None:
    evil = "https://evil.example"
    async with make_edge(cors_origins=[ALLOWED]) as edge:
        preflight = await edge.client.options(
            "/api/registry/echo/x",
            headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
        )
        simple = await edge.client.get("/api/registry/ok", headers={"Origin": evil})
        allowed = await edge.client.get("/api/registry/ok", headers={"Origin": ALLOWED})
    assert preflight.status_code == 403
    assert preflight.headers["content-type"] == "application/problem+json"
    for response in (preflight, simple):
        assert not any(name.startswith("access-control-") for name in response.headers)
    assert simple.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in allowed.headers["access-control-expose-headers"]
    assert allowed.headers["vary"] == "Origin"


async def test_openapi_merges_upstreams_and_lists_the_down_ones(
    make_edge: EdgeFactory, upstream_url: str
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    upstreams = {"registry": upstream_url, "activity": down}
    async with make_edge(upstreams=upstreams) as edge:
        response = await edge.client.get("/openapi.json")
        again = await edge.client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert "/auth/me" in document["paths"]  # identity
    assert "/api/registry/organizations/{org_id}" in document["paths"]  # upstream
    assert "activity" in document["x-unavailable"]
    assert "registry" not in document["x-unavailable"]
    schemas = document["components"]["schemas"]
    # Same name, different definitions: the later service's one is prefixed, refs follow.
    assert set(schemas["Organization"]["properties"]) == {"code"}  # the identity app's
    get_org = document["paths"]["/api/registry/organizations/{org_id}"]["get"]
    ref = get_org["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/Registry_Organization"
    assert set(schemas["Registry_Organization"]["properties"]) == {"id", "name"}
    assert again.content == response.content  # cached


def test_merge_renames_collisions_and_keeps_identical_components() -> None:
    problem = {"type": "object", "properties": {"status": {"type": "integer"}}}
    gateway: dict[str, Any] = {
        "paths": {"/auth/me": {"get": {"responses": {}}}},
        "components": {"schemas": {"ProblemDocument": problem, "Page": {"type": "object"}}},
    }
    page_ref = {"$ref": "#/components/schemas/Page"}
    registry: dict[str, Any] = {
        "paths": {"/api/registry/x": {"get": {"responses": {"200": {"schema": page_ref}}}}},
        "components": {
            "schemas": {
                "ProblemDocument": problem,
                "Page": {"type": "array"},
                "Wrapper": {"properties": {"page": page_ref}},
            }
        },
    }
    merged = merge_documents(
        [("gateway", gateway), ("service-requests", registry)],
        title="t",
        version="1",
        unavailable=[],
    )
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"ProblemDocument", "Page", "ServiceRequests_Page", "Wrapper"}
    assert schemas["Wrapper"]["properties"]["page"]["$ref"].endswith("/ServiceRequests_Page")
    response = merged["paths"]["/api/registry/x"]["get"]["responses"]["200"]
    assert response["schema"]["$ref"] == "#/components/schemas/ServiceRequests_Page"
    assert gateway["components"]["schemas"]["Page"] == {"type": "object"}  # inputs untouched


def test_strip_api_key_keeps_everything_else_byte_for_byte() -> None:
    assert strip_api_key(b"a=1&api_key=k%2B1&b=%E4%B8%AD+x&api%5Fkey=again") == (
        b"a=1&b=%E4%B8%AD+x",
        "k+1",
    )
    assert strip_api_key(b"a=1") == (b"a=1", None)


def test_response_headers_named_in_connection_are_dropped() -> None:
    raw = [
        (b"Content-Type", b"text/plain"),
        (b"X-Secret", b"1"),
        (b"Connection", b"X-Secret"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Server", b"uvicorn"),
    ]
    assert downstream_response_headers(raw) == [(b"content-type", b"text/plain")]
