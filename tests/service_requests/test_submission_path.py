"""The submission's fast path keeps the behaviour: the answer is the stored row, the duplicate
hint without a location, and the per-process cache of item facts with its invalidation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select, update

from tests.service_requests.conftest import (
    CHAOYANG,
    CHAOYANG_C1,
    CHAOYANG_C2,
    REQUESTS,
    RequestsApp,
)
from zhdj_service_requests.catalog_seed import load_catalog
from zhdj_service_requests.models import RequestEvent, ServiceItem, ServiceRequest
from zhdj_service_requests.repositories import catalog
from zhdj_service_requests.schemas.requests import RequestRead
from zhdj_service_requests.workdays import add_working_days
from zhdj_shared.clock import today_in_china

ITEM = "item-urban-management-02"  # a department item: 路灯故障报修


async def call(app: RequestsApp, community: str = CHAOYANG_C1, **extra: Any) -> dict[str, Any]:
    body = {
        "item_id": ITEM,
        "description": "路灯不亮",
        "community_id": community,
        "resident_name": "王芳",
        "resident_phone": "13912345678",
        **extra,
    }
    response = await app.client.post(REQUESTS, json=body, headers=app.staff(CHAOYANG))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_answer_is_the_stored_request_and_its_timeline(requests_app: RequestsApp) -> None:
    answer = await call(requests_app, address="幸福路1号")
    async with requests_app.session() as session:
        row = await session.get(ServiceRequest, answer["id"])
        assert row is not None
        events = (
            await session.exec(select(RequestEvent).where(col(RequestEvent.request_id) == row.id))
        ).all()
    stored = RequestRead.of(row, masked=False, today=today_in_china()).model_dump(mode="json")
    assert answer == stored
    assert row.is_open
    assert row.suggested_team_ids == []
    assert row.escalation_level == 0
    assert row.handling_org_id == CHAOYANG
    assert row.handling_path.endswith(f"/{CHAOYANG}/")
    assert [(e.action, e.to_status, e.data) for e in events] == [
        ("submit", "submitted", {"channel": "call"})
    ]
    detail = await requests_app.client.get(
        f"{REQUESTS}/{answer['id']}", headers=requests_app.staff(CHAOYANG)
    )
    assert {k: v for k, v in detail.json().items() if k in answer} == answer


async def test_without_a_location_the_same_item_in_the_same_community_is_flagged(
    requests_app: RequestsApp,
) -> None:
    first = await call(requests_app)
    second = await call(requests_app)
    third = await call(requests_app)
    elsewhere = await call(requests_app, community=CHAOYANG_C2)
    assert first["possible_duplicate_of"] is None
    assert second["possible_duplicate_of"] == first["id"]
    assert third["possible_duplicate_of"] == first["id"]  # the oldest open one
    assert elsewhere["possible_duplicate_of"] is None
    assert len({first["number"], second["number"], third["number"]}) == 3


async def test_an_item_change_reaches_submissions_when_the_cache_is_invalidated(
    requests_app: RequestsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = today_in_china()
    async with requests_app.session() as session:
        item = await session.get(ServiceItem, ITEM)
        assert item is not None
        days = item.resolve_days
    before = await call(requests_app)
    assert before["resolve_due_on"] == add_working_days(today, days)[0].isoformat()
    async with requests_app.session() as session:
        await session.exec(
            update(ServiceItem).where(col(ServiceItem.id) == ITEM).values(resolve_days=days + 7)
        )
    # Within the cache's lifetime the facts read a moment ago still serve...
    cached = await call(requests_app)
    assert cached["resolve_due_on"] == before["resolve_due_on"]
    # ...until the cache is invalidated (the catalog seed does it when it adds rows)...
    catalog.invalidate_items()
    changed = await call(requests_app)
    assert changed["resolve_due_on"] == add_working_days(today, days + 7)[0].isoformat()
    # ...or its entries expire.
    async with requests_app.session() as session:
        await session.exec(
            update(ServiceItem).where(col(ServiceItem.id) == ITEM).values(active=False)
        )
    monkeypatch.setattr(catalog, "ITEM_CACHE_SECONDS", 0.0)
    await call(requests_app)  # the entry read before the change expires at once now
    response = await requests_app.client.post(
        REQUESTS,
        json={"item_id": ITEM, "description": "x", "community_id": CHAOYANG_C1},
        headers=requests_app.staff(CHAOYANG),
    )
    assert response.status_code == 422


async def test_the_catalog_seed_invalidates_cached_items(
    requests_app: RequestsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    await call(requests_app)
    invalidated: list[bool] = []
    monkeypatch.setattr(
        "zhdj_service_requests.catalog_seed.invalidate_items", lambda: invalidated.append(True)
    )
    async with requests_app.session() as session:
        await session.exec(
            update(ServiceItem).where(col(ServiceItem.id) == ITEM).values(active=False)
        )
        assert await load_catalog(session) == 0  # nothing added: nothing to forget
        assert invalidated == []
        item = await session.get(ServiceItem, "item-urban-management-03")  # never requested
        assert item is not None
        await session.delete(item)
        await session.flush()
        assert await load_catalog(session) == 1
    assert invalidated == [True]
