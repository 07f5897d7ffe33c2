"""The must-show: the same Idempotency-Key and body returns the same request (never a second
one); a different body with the same key gets 422."""

from __future__ import annotations

from sqlmodel import func, select

from tests.service_requests.conftest import REQUESTS, RequestsApp
from zhdj_service_requests.models import ServiceRequest


async def stored(app: RequestsApp) -> int:
    async with app.session() as session:
        return int((await session.exec(select(func.count()).select_from(ServiceRequest))).one())


async def test_same_key_same_body_same_request(requests_app: RequestsApp) -> None:
    app = requests_app
    headers = {**app.resident(), "Idempotency-Key": "mobile-retry-0001"}
    body = {"preset": "repair", "description": "电梯停运"}
    first = await app.client.post(f"{REQUESTS}/one-click", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await app.client.post(f"{REQUESTS}/one-click", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert await stored(app) == 1
    changed = await app.client.post(
        f"{REQUESTS}/one-click", json={**body, "description": "电梯又停了"}, headers=headers
    )
    assert changed.status_code == 422
    assert changed.headers["content-type"] == "application/problem+json"
    # The same key on the other submission endpoint is also another request body: 422.
    other = await app.client.post(
        REQUESTS, json={"item_id": "item-repair", "description": "电梯停运"}, headers=headers
    )
    assert other.status_code == 422
    assert await stored(app) == 1


async def test_keys_belong_to_their_principal(requests_app: RequestsApp) -> None:
    app = requests_app
    body = {"preset": "consult"}
    a = await app.client.post(
        f"{REQUESTS}/one-click", json=body, headers={**app.resident(), "Idempotency-Key": "k"}
    )
    b = await app.client.post(
        f"{REQUESTS}/one-click",
        json={**body, "location": {"lat": 36.66, "lng": 117.02}},
        headers={**app.resident(sub="another-resident", name="李"), "Idempotency-Key": "k"},
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
