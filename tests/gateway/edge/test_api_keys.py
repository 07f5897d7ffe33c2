"""API keys: exchanged for a bearer token at the edge; the raw key never reaches a service."""

from __future__ import annotations

from typing import Any

from tests.gateway.edge.conftest import VALID_API_KEY, EdgeFactory, UpstreamControl


def header_values(echo: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in echo["headers"] if k == name]


async def test_header_key_becomes_a_bearer_token(
    make_edge: EdgeFactory, api_key_token: str
) -> None:
    async with make_edge() as edge:
        response = await edge.client.get(
            "/api/registry/echo/x",
            headers={"X-API-Key": VALID_API_KEY, "Authorization": "Bearer forged"},
        )
    assert response.status_code == 200
    assert VALID_API_KEY not in response.text
    echo = response.json()
    assert header_values(echo, "authorization") == [f"Bearer {api_key_token}"]
    assert header_values(echo, "x-api-key") == []
    assert edge.api_keys.asked == [VALID_API_KEY]


async def test_open311_key_in_query_is_removed(make_edge: EdgeFactory, api_key_token: str) -> None:
    async with make_edge() as edge:
        response = await edge.client.get(
            f"/open311/v2/services.json?jurisdiction_id=city&api_key={VALID_API_KEY}&q=%E4%B8%AD"
        )
    assert response.status_code == 200
    assert VALID_API_KEY not in response.text
    echo = response.json()
    assert echo["query"] == "jurisdiction_id=city&q=%E4%B8%AD"
    assert header_values(echo, "authorization") == [f"Bearer {api_key_token}"]


async def test_open311_key_in_form_body_is_removed(
    make_edge: EdgeFactory, api_key_token: str
) -> None:
    form = f"service_code=001&api_key={VALID_API_KEY}&description=%E8%B7%AF%E7%81%AF+%E5%9D%8F"
    async with make_edge() as edge:
        response = await edge.client.post(
            "/open311/v2/requests.json",
            content=form.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 201
    assert VALID_API_KEY not in response.text
    echo = response.json()
    expected = "service_code=001&description=%E8%B7%AF%E7%81%AF+%E5%9D%8F"
    assert echo["body"] == expected
    assert header_values(echo, "content-length") == [str(len(expected))]
    assert header_values(echo, "authorization") == [f"Bearer {api_key_token}"]


async def test_invalid_key_is_refused_before_any_service(
    make_edge: EdgeFactory, control: UpstreamControl
) -> None:
    async with make_edge() as edge:
        by_header = await edge.client.get("/api/registry/ok", headers={"X-API-Key": "zk_wrong"})
        by_query = await edge.client.get("/open311/v2/services.json?api_key=zk_wrong")
        on_identity = await edge.client.get("/auth/me", headers={"X-API-Key": "zk_wrong"})
    for response in (by_header, by_query, on_identity):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401
    assert control.calls == 0


async def test_key_on_an_identity_path_is_exchanged_too(
    make_edge: EdgeFactory, api_key_token: str
) -> None:
    async with make_edge() as edge:
        response = await edge.client.get("/auth/me", headers={"X-API-Key": VALID_API_KEY})
    assert response.json() == {"subject": f"Bearer {api_key_token}"}
