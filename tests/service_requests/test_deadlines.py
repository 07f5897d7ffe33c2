"""Deadlines, overdue detection and escalation (催办, 督办 yellow, 督办 red) by the sweep, called
directly with a chosen day; auto-close of unrated resolved requests."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from tests.service_requests.conftest import CHAOYANG, REQUESTS, RequestsApp
from tests.service_requests.test_submission import one_click
from zhdj_service_requests.models import RequestEvent, ServiceRequest
from zhdj_service_requests.services.escalation import escalate_due, level_on
from zhdj_service_requests.workdays import add_working_days
from zhdj_shared.db import utcnow


async def set_dates(app: RequestsApp, request_id: str, respond: date, resolve: date) -> None:
    async with app.session() as session:
        row = await session.get(ServiceRequest, request_id)
        assert row is not None
        row.respond_due_on, row.resolve_due_on = respond, resolve
        session.add(row)


async def test_levels_rise_as_deadlines_pass(requests_app: RequestsApp) -> None:
    app = requests_app
    created = await one_click(app, "repair")
    rid = created["id"]
    # Due Friday 2026-10-09 to respond and resolve (after National Day).
    await set_dates(app, rid, date(2026, 9, 30), date(2026, 10, 9))
    async with app.session() as session:
        row = await session.get(ServiceRequest, rid)
        assert row is not None
        assert level_on(row, date(2026, 9, 29), 3) == 0
        assert level_on(row, date(2026, 10, 1), 3) == 1  # not accepted by 9-30: 催办
        assert level_on(row, date(2026, 10, 8), 3) == 1  # due the next working day
        assert level_on(row, date(2026, 10, 10), 3) == 2  # one day late: yellow
        # Working days after 10-9: Sat 10-10 (adjusted), 10-12, 10-13: three; 10-14 is four.
        assert level_on(row, date(2026, 10, 13), 3) == 2
        assert level_on(row, date(2026, 10, 14), 3) == 3
    for day, level in ((date(2026, 10, 1), 1), (date(2026, 10, 10), 2), (date(2026, 10, 14), 3)):
        async with app.session() as session:
            await escalate_due(session, day)
        detail = (await app.client.get(f"{REQUESTS}/{rid}", headers=app.staff(CHAOYANG))).json()
        assert detail["escalation_level"] == level
    # Running the sweep again changes nothing.
    async with app.session() as session:
        result = await escalate_due(session, date(2026, 10, 14))
        assert result.escalated == 0
        events = (
            await session.exec(
                select(RequestEvent).where(
                    RequestEvent.request_id == rid,
                    RequestEvent.action == "escalate",
                )
            )
        ).all()
    assert [e.data["level"] for e in events] == [1, 2, 3]


async def test_overdue_filter_and_flag(requests_app: RequestsApp) -> None:
    app = requests_app
    late = await one_click(app, "repair")
    fine = await one_click(app, "consult")
    yesterday = date.today() - timedelta(days=3)
    await set_dates(app, late["id"], yesterday, yesterday)
    response = await app.client.get(
        f"{REQUESTS}/queue", params={"overdue": "true"}, headers=app.staff(CHAOYANG)
    )
    assert {r["id"] for r in response.json()["items"]} == {late["id"]}
    assert response.json()["items"][0]["overdue"] is True
    detail = (await app.client.get(f"{REQUESTS}/{fine['id']}", headers=app.resident())).json()
    assert detail["overdue"] is False


async def test_unrated_resolved_requests_close_after_the_window(requests_app: RequestsApp) -> None:
    app = requests_app
    created = await one_click(app, "consult")
    rid, staff = created["id"], app.staff(CHAOYANG)
    for action, body in (("accept", {}), ("start", {}), ("resolve", {"result": "已答复"})):
        response = await app.client.post(f"{REQUESTS}/{rid}/{action}", json=body, headers=staff)
        assert response.status_code == 200, response.text
    async with app.session() as session:
        row = await session.get(ServiceRequest, rid)
        assert row is not None
        row.resolved_at = utcnow() - timedelta(days=8)
        session.add(row)
    async with app.session() as session:
        result = await escalate_due(session)
        assert result.closed == 1
    detail = (await app.client.get(f"{REQUESTS}/{rid}", headers=app.resident())).json()
    assert detail["status"] == "closed"
    assert detail["timeline"][-1]["action"] == "close"


async def test_deadline_endpoint_says_its_basis(requests_app: RequestsApp) -> None:
    app = requests_app
    response = await app.client.get(
        "/api/service-requests/calendar/deadline",
        params={"start": "2026-02-12", "days": 7},
        headers=app.resident(),
    )
    assert response.json() == {
        "start": "2026-02-12",
        "working_days": 7,
        "due_on": "2026-02-28",
        "calendar_basis": "announced",
    }
    # Into 2027, not announced: 元旦 (Friday 1-1) is a day off all the same.
    response = await app.client.get(
        "/api/service-requests/calendar/deadline",
        params={"start": "2026-12-30", "days": 3},
        headers=app.resident(),
    )
    assert response.json() == {
        "start": "2026-12-30",
        "working_days": 3,
        "due_on": "2027-01-05",
        "calendar_basis": "statutory_only",
    }
    # Beyond the known years: weekends only, and said so.
    response = await app.client.get(
        "/api/service-requests/calendar/deadline",
        params={"start": "2027-12-30", "days": 2},
        headers=app.resident(),
    )
    assert response.json()["calendar_basis"] == "weekends_only"
    assert response.json()["due_on"] == "2028-01-03"
    assert add_working_days(date(2027, 12, 30), 2)[0].isoformat() == "2028-01-03"
