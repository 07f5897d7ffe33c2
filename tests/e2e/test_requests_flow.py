"""A resident's request from one tap to rating, through the gateway, with real processes:
resident_zhang taps "repair" → the street's service center accepts, dispatches, handles and
resolves it → the resident rates it and it closes. A mobile retry with the same
Idempotency-Key returns the same request."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_org_tree_flow import bearer, password_token

pytestmark = pytest.mark.e2e

REQUESTS = "/api/service-requests/requests"
# The centre of 朝阳街道阳光社区's first grid in the registry's demo city.
YANGGUANG_GRID1 = {"lat": 36.66, "lng": 117.02}


@pytest.fixture(scope="module")
def gateway(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        yield client


def test_one_tap_to_rating_through_the_gateway(
    gateway: httpx.Client, platform: RunningPlatform
) -> None:
    resident = bearer(password_token(gateway, "resident_zhang", platform.demo_password))
    center = bearer(password_token(gateway, "service_center", platform.demo_password))

    body = {"preset": "repair", "description": "楼道灯不亮", "location": YANGGUANG_GRID1}
    headers = {**resident, "Idempotency-Key": "e2e-tap-1"}
    created = gateway.post(f"{REQUESTS}/one-click", json=body, headers=headers)
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["community_id"] == "demo-s-xinhua-chaoyang-c1"
    retried = gateway.post(f"{REQUESTS}/one-click", json=body, headers=headers)
    assert retried.status_code == 201
    assert retried.json()["id"] == request["id"]
    assert retried.headers["Idempotent-Replayed"] == "true"

    rid = request["id"]
    queue = gateway.get(f"{REQUESTS}/queue", params={"limit": 200}, headers=center)
    assert queue.status_code == 200, queue.text
    assert rid in {r["id"] for r in queue.json()["items"]}
    moves = [
        ("accept", {"note": "已受理"}),
        ("dispatch", {"org_id": "demo-s-xinhua-chaoyang-c1", "note": "派社区处理"}),
        ("start", {}),
        ("resolve", {"result": "已更换楼道灯", "volunteers": 1}),
    ]
    for action, move in moves:
        response = gateway.post(f"{REQUESTS}/{rid}/{action}", json=move, headers=center)
        assert response.status_code == 200, (action, response.text)
    # Accepting again is an illegal move: 409, as a problem document.
    refused = gateway.post(f"{REQUESTS}/{rid}/accept", json={}, headers=center)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"

    rated = gateway.post(
        f"{REQUESTS}/{rid}/rate", json={"rating": 5, "comment": "很及时"}, headers=resident
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"
    detail = gateway.get(f"{REQUESTS}/{rid}", headers=resident).json()
    assert [e["action"] for e in detail["timeline"]] == [
        "submit",
        "accept",
        "dispatch",
        "start",
        "resolve",
        "rate",
    ]
    # It is in the resident's own list.
    mine = gateway.get(REQUESTS, headers=resident).json()["items"]
    assert rid in {r["id"] for r in mine}
