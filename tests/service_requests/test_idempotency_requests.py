"""The must-show: the same Idempotency-Key and body returns the same request (never a second
one); a different body with the same key gets 422. On PostgreSQL the key is taken along with the
number, after the checks: a retry is replayed even when its checks would now fail, a refused
first attempt leaves the key free, an expired key makes a new request, and a concurrent holder
of the key is waited for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select, update

from tests.service_requests.conftest import CHAOYANG, CHAOYANG_C1, REQUESTS, RequestsApp
from tests.support.databases import migrated_url
from zhdj_service_requests.app import MIGRATIONS_DIR
from zhdj_service_requests.models import IDEMPOTENCY_KEYS, ServiceItem, ServiceRequest
from zhdj_service_requests.repositories import catalog
from zhdj_service_requests.repositories.requests import RequestRepository
from zhdj_shared.db import Database


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


CALL = {
    "item_id": "item-urban-management-02",
    "description": "路灯不亮",
    "community_id": CHAOYANG_C1,
    "resident_name": "王芳",
    "resident_phone": "13912345678",
}


async def test_a_retry_whose_checks_now_fail_still_gets_its_answer(
    requests_app: RequestsApp,
) -> None:
    """The key is taken after the checks (with the number, on PostgreSQL): a retry of an
    answered request is replayed even when the same body would now be refused."""
    app = requests_app
    headers = {**app.staff(CHAOYANG), "Idempotency-Key": "call-retry-0001"}
    first = await app.client.post(REQUESTS, json=CALL, headers=headers)
    assert first.status_code == 201, first.text
    async with app.session() as session:
        await session.exec(
            update(ServiceItem).where(col(ServiceItem.id) == CALL["item_id"]).values(active=False)
        )
    catalog.invalidate_items()
    try:
        again = await app.client.post(REQUESTS, json=CALL, headers=headers)
        assert again.status_code == 201, again.text
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        fresh = await app.client.post(
            REQUESTS, json=CALL, headers={**app.staff(CHAOYANG), "Idempotency-Key": "call-new"}
        )
        assert fresh.status_code == 422  # a new request for the item is refused
    finally:
        catalog.invalidate_items()  # the item is active again once the test rolls back
    assert await stored(app) == 1


async def test_a_refused_first_attempt_leaves_its_key_free(requests_app: RequestsApp) -> None:
    app = requests_app
    headers = {**app.staff(CHAOYANG), "Idempotency-Key": "call-refused-0001"}
    refused = await app.client.post(
        REQUESTS, json={**CALL, "item_id": "no-such-item"}, headers=headers
    )
    assert refused.status_code == 422
    # Nothing was stored for the key: the same key with a corrected body is a new request.
    created = await app.client.post(REQUESTS, json=CALL, headers=headers)
    assert created.status_code == 201, created.text
    assert "Idempotent-Replayed" not in created.headers
    assert await stored(app) == 1


async def test_an_expired_key_makes_a_new_request(requests_app: RequestsApp) -> None:
    app = requests_app
    headers = {**app.staff(CHAOYANG), "Idempotency-Key": "call-expired-0001"}
    first = await app.client.post(REQUESTS, json=CALL, headers=headers)
    assert first.status_code == 201, first.text
    async with app.session() as session:
        await session.exec(
            update(IDEMPOTENCY_KEYS)
            .where(IDEMPOTENCY_KEYS.c.key == "call-expired-0001")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    later = await app.client.post(REQUESTS, json=CALL, headers=headers)
    assert later.status_code == 201, later.text
    assert later.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in later.headers
    assert await stored(app) == 2
    replay = await app.client.post(REQUESTS, json=CALL, headers=headers)
    assert replay.json()["id"] == later.json()["id"]  # the key now names the second one


async def test_a_concurrent_holder_of_the_key_is_waited_for(backend: str, tmp_path: Path) -> None:
    """PostgreSQL, real transactions: the number statement that takes the key waits for another
    transaction holding it, then reports it not taken (the caller replays); had that one rolled
    back, it takes it."""
    if backend != "postgresql":
        pytest.skip("SQLite takes the key before any read, with the guard's own insert")
    database = Database(await migrated_url("sr-claim", backend, MIGRATIONS_DIR, tmp_path))
    claim = {
        "w_subject": "staff-1",
        "w_key": "twin-0001",
        "endpoint": "POST /api/service-requests/requests",
        "body_hash": "0" * 64,
        "created_at": datetime.now(UTC),
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
    }
    try:
        async with database.sessionmaker() as holder, database.sessionmaker() as twin:
            first = await RequestRepository(holder).number_and_duplicate("20261203", None, claim)
            assert first.claimed is True
            waiting = asyncio.create_task(
                RequestRepository(twin).number_and_duplicate("20261203", None, claim)
            )
            await asyncio.sleep(0.2)
            assert not waiting.done()  # blocked on the key the holder has not committed
            await holder.commit()
            second = await waiting
            assert second.claimed is False
            assert second.number != first.number
            await twin.rollback()

        async with database.sessionmaker() as holder, database.sessionmaker() as twin:
            other = {**claim, "w_key": "twin-0002"}
            assert (await RequestRepository(holder).number_and_duplicate("x", None, other)).claimed
            waiting = asyncio.create_task(
                RequestRepository(twin).number_and_duplicate("x", None, other)
            )
            await asyncio.sleep(0.2)
            await holder.rollback()
            assert (await waiting).claimed is True
            await twin.rollback()
    finally:
        await database.dispose()
