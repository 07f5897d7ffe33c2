"""The whole path with real processes: client → gateway → token → registry → database.

What `make run` starts, driven over HTTP through the gateway only, as a web console or a
third-party system would.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import RunningPlatform

pytestmark = pytest.mark.e2e

ORGS = "/api/registry/organizations"


@pytest.fixture(scope="module")
def gateway(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        yield client


def password_token(gateway: httpx.Client, username: str, password: str) -> str:
    response = gateway.post(
        "/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def admin(gateway: httpx.Client, platform: RunningPlatform) -> dict[str, str]:
    return bearer(password_token(gateway, "admin", platform.admin_password))


def make_staff(gateway: httpx.Client, admin: dict[str, str], username: str, org_id: str) -> str:
    password = "Staff-pass-2026!"
    created = gateway.post(
        "/auth/users",
        json={
            "username": username,
            "password": password,
            "display_name": "区委组织部干事",
            "roles": [{"role": "org_staff", "org_id": org_id}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return password_token(gateway, username, password)


def test_demo_tree_is_served_through_the_gateway(
    gateway: httpx.Client, admin: dict[str, str]
) -> None:
    response = gateway.get(f"{ORGS}/demo-city/tree", params={"depth": 1}, headers=admin)
    assert response.status_code == 200, response.text
    tree = response.json()
    assert tree["name"] == "中共示范市委员会"
    assert {c["id"] for c in tree["children"]} >= {"demo-d-xinhua", "demo-d-dongcheng"}
    assert response.headers["x-request-id"]


def test_staff_write_in_their_district_and_are_refused_elsewhere(
    gateway: httpx.Client, admin: dict[str, str]
) -> None:
    staff = bearer(make_staff(gateway, admin, "e2e_xinhua", "demo-d-xinhua"))
    created = gateway.post(
        ORGS,
        json={
            "name": "端到端测试党支部",
            "kind": "branch",
            "sector": "community",
            "parent_id": "demo-s-xinhua-chaoyang-c1",
        },
        headers={**staff, "X-Request-ID": "e2e-create-0001"},
    )
    assert created.status_code == 201, created.text
    assert created.headers["x-request-id"] == "e2e-create-0001"
    location = created.headers["location"]
    fetched = gateway.get(location, headers=staff)
    assert fetched.json()["ancestor_ids"][-1] == "demo-s-xinhua-chaoyang-c1"
    found = gateway.get(ORGS, params={"name": "ddd"}, headers=staff)  # 端到端 initials
    assert created.json()["id"] in {o["id"] for o in found.json()["items"]}

    refused = gateway.patch(f"{ORGS}/demo-d-dongcheng", json={"name": "越权改名"}, headers=staff)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["request_id"] == refused.headers["x-request-id"]
    unchanged = gateway.get(f"{ORGS}/demo-d-dongcheng", headers=staff)
    assert unchanged.json()["name"] == "中共示范市东城区委员会"


def test_anonymous_and_forged_tokens_are_refused_by_the_service(gateway: httpx.Client) -> None:
    anonymous = gateway.get(f"{ORGS}/demo-city")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    forged = gateway.get(f"{ORGS}/demo-city", headers=bearer("eyJhbGciOiJub25lIn0.e30."))
    assert forged.status_code == 401


def test_a_third_party_api_key_reaches_the_registry_as_a_token(
    gateway: httpx.Client, admin: dict[str, str]
) -> None:
    client = gateway.post(
        "/auth/clients",
        json={"name": "12345热线", "scopes": ["registry:read"]},
        headers=admin,
    )
    assert client.status_code == 201, client.text
    key = gateway.post(
        "/auth/api-keys",
        json={
            "client_id": client.json()["client_id"],
            "label": "热线对接",
            "scopes": ["registry:read"],
        },
        headers=admin,
    )
    assert key.status_code == 201, key.text
    raw_key = key.json()["key"]
    read = gateway.get(f"{ORGS}/demo-d-xinhua", headers={"X-API-Key": raw_key})
    assert read.status_code == 200, read.text
    assert read.json()["kind_label"] == "区（县）委"
    write = gateway.post(
        ORGS,
        json={
            "name": "不该建成",
            "kind": "branch",
            "sector": "community",
            "parent_id": "demo-city",
        },
        headers={"X-API-Key": raw_key},
    )
    assert write.status_code == 403  # the key's scopes are read-only
    wrong = gateway.get(f"{ORGS}/demo-d-xinhua", headers={"X-API-Key": raw_key[:-2] + "xx"})
    assert wrong.status_code == 401


def test_one_api_document_for_the_platform(gateway: httpx.Client) -> None:
    spec = gateway.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/auth/token" in paths
    assert f"{ORGS}/{{org_id}}" in paths
    docs = gateway.get("/docs")
    assert docs.status_code == 200
    assert "openapi.json" in docs.text
