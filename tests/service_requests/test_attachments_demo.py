"""Photos on a request (validated by their bytes, content-addressed) and the demo data."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text
from sqlmodel import select

from tests.service_requests.conftest import CHAOYANG, HEPING, REQUESTS, RequestsApp
from tests.service_requests.test_submission import one_click
from zhdj_service_requests.demo import load_demo
from zhdj_service_requests.models import ServiceRequest
from zhdj_service_requests.repositories.requests import NUMBER_SEQUENCE, RequestRepository

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_photos(requests_app: RequestsApp) -> None:
    app = requests_app
    created = await one_click(app, "repair")
    rid = created["id"]
    response = await app.client.post(
        f"{REQUESTS}/{rid}/attachments",
        params={"filename": "楼道.png"},
        content=PNG,
        headers={**app.resident(), "content-type": "image/png"},
    )
    assert response.status_code == 201, response.text
    attachment = response.json()
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(PNG)
    photo = await app.client.get(
        f"{REQUESTS}/{rid}/attachments/{attachment['id']}", headers=app.staff(CHAOYANG)
    )
    assert photo.content == PNG
    detail = (await app.client.get(f"{REQUESTS}/{rid}", headers=app.resident())).json()
    assert detail["attachments"][0]["filename"] == "楼道.png"
    assert detail["timeline"][-1]["action"] == "attachment_added"
    # Not an image: 422; someone who does not see the request: 404.
    response = await app.client.post(
        f"{REQUESTS}/{rid}/attachments",
        content=b"hello",
        headers={**app.resident(), "content-type": "image/png"},
    )
    assert response.status_code == 422
    response = await app.client.post(
        f"{REQUESTS}/{rid}/attachments", content=PNG, headers=app.staff(HEPING)
    )
    assert response.status_code == 404


async def test_demo_requests_in_every_state(requests_app: RequestsApp) -> None:
    app = requests_app
    async with app.session() as session:
        added = await load_demo(session, requests=600)
        assert added["requests"] == 600
        again = await load_demo(session, requests=600)
        assert again["requests"] == 0
        rows = (await session.exec(select(ServiceRequest))).all()
    states = Counter(r.status for r in rows)
    assert set(states) == {
        "submitted",
        "accepted",
        "rejected",
        "dispatched",
        "in_progress",
        "resolved",
        "reopened",
        "closed",
        "cancelled",
    }
    assert any(r.escalation_level >= 2 for r in rows)  # some overdue
    queue = await app.client.get(
        f"{REQUESTS}/queue", params={"limit": 200}, headers=app.staff(CHAOYANG)
    )
    assert queue.status_code == 200
    assert queue.json()["items"]
    mine = await app.client.get(REQUESTS, headers=app.resident())
    assert mine.json()["items"]


async def test_numbers_drawn_after_the_demo_are_not_the_demos(
    requests_app: RequestsApp, backend: str
) -> None:
    """The demo writes its rows' numbers itself (a few per day, today's too). On PostgreSQL
    the numbers' sequence had not moved past them: after a fresh demo load the first
    submissions of the day drew suffixes already stored and failed with 409 (found by
    ``bench/platform_load.py``)."""
    app = requests_app
    async with app.session() as session:
        if backend == "postgresql":
            # The sequence ignores transactions: earlier tests may have moved it past the
            # demo's numbers, which would hide the fault. Start it afresh, as a new database.
            await session.exec(text(f"SELECT setval('{NUMBER_SEQUENCE}', 1, false)"))
        await load_demo(session, requests=600)
        stored = set((await session.exec(select(ServiceRequest.number))).all())
        busiest = Counter(n[2:10] for n in stored).most_common(1)[0][0]
        suffix = await RequestRepository(session).next_number(busiest)
    assert f"SR{busiest}-{suffix:06d}" not in stored
    created = await one_click(app, "repair")  # today's first submission after the demo
    assert created["number"] not in stored
