"""Venue bookings (409 on overlap, 422 on unknown venues), volunteer records, the iCalendar
feed, and the registry being down (503 for writes that need it, reads keep working)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete
from sqlmodel import col, func, select

from tests.activity.conftest import (
    BASE,
    BRANCH,
    C1,
    CHAOYANG,
    OTHER_BRANCH,
    ActivityApp,
    activity_body,
    assert_problem,
)
from tests.support.tokens import TestKeys
from zhdj_activity.app import create_app
from zhdj_activity.models import Activity, VenueBooking, VenueLock
from zhdj_activity.settings import ActivitySettings
from zhdj_shared.db import Database
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.storage import LocalBlobStore

VENUE = "demo-v-hnd-station"


def booking(**overrides: Any) -> dict[str, Any]:
    body = {
        "venue_id": VENUE,
        "org_id": BRANCH,
        "purpose": "主题党日活动",
        "starts_at": "2026-12-05T14:00:00+08:00",
        "ends_at": "2026-12-05T16:00:00+08:00",
    }
    body.update(overrides)
    return body


async def _bookings(app: ActivityApp) -> int:
    async with app.session() as session:
        return int((await session.exec(select(func.count(col(VenueBooking.id))))).one())


async def test_overlapping_bookings_are_refused(activity: ActivityApp) -> None:
    staff = activity.staff(BRANCH)
    first = await activity.client.post(f"{BASE}/bookings", json=booking(), headers=staff)
    assert first.status_code == 201, first.text
    overlap = await activity.client.post(
        f"{BASE}/bookings",
        json=booking(starts_at="2026-12-05T15:30:00+08:00", ends_at="2026-12-05T17:00:00+08:00"),
        headers=activity.staff(C1),
    )
    assert_problem(overlap, 409)
    adjacent = await activity.client.post(
        f"{BASE}/bookings",
        json=booking(starts_at="2026-12-05T16:00:00+08:00", ends_at="2026-12-05T17:00:00+08:00"),
        headers=staff,
    )
    assert adjacent.status_code == 201, adjacent.text
    listed = await activity.client.get(f"{BASE}/venues/{VENUE}/bookings", headers=staff)
    assert len(listed.json()["items"]) == 2
    cancelled = await activity.client.post(
        f"{BASE}/bookings/{first.json()['id']}/cancel", json={"reason": "活动改期"}, headers=staff
    )
    assert cancelled.json()["status"] == "cancelled"
    retry = await activity.client.post(
        f"{BASE}/bookings",
        json=booking(starts_at="2026-12-05T15:30:00+08:00", ends_at="2026-12-05T16:00:00+08:00"),
        headers=staff,
    )
    assert retry.status_code == 201, retry.text


async def test_concurrent_bookings_of_one_slot_give_one_booking(
    activity_database: Database,
    keys: TestKeys,
    demo_registry_client: RegistryClient,
    tmp_path: Path,
) -> None:
    """Real concurrency needs real connections: this app is not in a per-test transaction, so
    the test removes its rows itself."""
    app = create_app(
        ActivitySettings(migrate_on_start=False, load_demo_data=False),
        database=activity_database,
        token_verifier=keys.verifier(),
        registry=demo_registry_client,
        blobs=LocalBlobStore(tmp_path),
    )
    slot = booking(
        venue_id=VENUE,
        purpose="并发预约测试",
        starts_at="2090-01-01T09:00:00+08:00",
        ends_at="2090-01-01T10:00:00+08:00",
    )
    headers = keys.bearer(sub="staff-1", roles=["org_staff"], orgs=[BRANCH])
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://activity") as client:
            responses = await asyncio.gather(
                *(client.post(f"{BASE}/bookings", json=slot, headers=headers) for _ in range(4))
            )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409, 409, 409], [r.text for r in responses]
        async with activity_database.sessionmaker() as session:
            rows = (
                await session.exec(
                    select(VenueBooking).where(col(VenueBooking.purpose) == "并发预约测试")
                )
            ).all()
            assert len(rows) == 1
    finally:
        async with activity_database.sessionmaker() as session:
            await session.exec(
                delete(VenueBooking).where(col(VenueBooking.purpose) == "并发预约测试")
            )
            await session.exec(delete(VenueLock).where(col(VenueLock.venue_id) == VENUE))
            await session.commit()


async def test_booking_refusals_change_nothing(activity: ActivityApp) -> None:
    before = await _bookings(activity)
    unknown_venue = await activity.client.post(
        f"{BASE}/bookings", json=booking(venue_id="no-such-venue"), headers=activity.staff(C1)
    )
    assert_problem(unknown_venue, 422)
    unknown_org = await activity.client.post(
        f"{BASE}/bookings", json=booking(org_id="no-such-org"), headers=activity.staff(C1)
    )
    assert_problem(unknown_org, 422)
    stranger = await activity.client.post(
        f"{BASE}/bookings", json=booking(), headers=activity.staff(OTHER_BRANCH)
    )
    assert_problem(stranger, 403)
    backwards = await activity.client.post(
        f"{BASE}/bookings",
        json=booking(ends_at="2026-12-05T13:00:00+08:00"),
        headers=activity.staff(C1),
    )
    assert_problem(backwards, 422)
    assert await _bookings(activity) == before


async def test_volunteer_records_refuse_unknown_members(activity: ActivityApp) -> None:
    response = await activity.client.post(
        f"{BASE}/volunteer-records",
        json={
            "member_id": "no-such-member",
            "post_kind": "文明引导",
            "hours": 2,
            "served_on": "2026-01-05",
        },
        headers=activity.staff(C1),
    )
    assert_problem(response, 422)
    negative = await activity.client.post(
        f"{BASE}/volunteer-records",
        json={"member_id": "x", "post_kind": "文明引导", "hours": -1, "served_on": "2026-01-05"},
        headers=activity.staff(C1),
    )
    assert_problem(negative, 422)


async def test_calendar_feed_is_valid_rfc5545(activity: ActivityApp) -> None:
    title = "学习会议,讨论;总结\\展望 " + "很长的标题" * 10
    await activity.plan(
        activity.staff(BRANCH),
        title=title[:200],
        starts_at="2099-03-05T14:00:00+08:00",
        ends_at="2099-03-05T16:00:00+08:00",
        description="第一行\n第二行",
    )
    response = await activity.client.get(
        f"{BASE}/organizations/{BRANCH}/calendar.ics", headers=activity.staff(C1)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    unfolded = raw.decode().replace("\r\n ", "")
    assert "DTSTART:20990305T060000Z" in unfolded
    assert "DTEND:20990305T080000Z" in unfolded
    assert "SUMMARY:【主题党日】学习会议\\,讨论\\;总结\\\\展望" in unfolded
    assert "DESCRIPTION:第一行\\n第二行" in unfolded
    assert "UID:" in unfolded
    assert "DTSTAMP:" in unfolded
    assert unfolded.count("BEGIN:VEVENT") == 1


async def test_registry_down_writes_503_reads_keep_working(
    activity: ActivityApp, activity_registry_down: ActivityApp
) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    down = activity_registry_down
    # The two fixtures isolate separate transactions: make the row visible to the second one.
    async with down.session() as session:
        count = (await session.exec(select(func.count(col(Activity.id))))).one()
    staff = down.staff(BRANCH)
    write = await down.client.post(f"{BASE}/activities", json=activity_body(), headers=staff)
    problem = assert_problem(write, 503)
    assert "registry" in problem["detail"]
    book = await down.client.post(f"{BASE}/bookings", json=booking(), headers=staff)
    assert_problem(book, 503)
    async with down.session() as session:
        assert (await session.exec(select(func.count(col(Activity.id))))).one() == count
    # Reads served from the activity database alone keep working.
    types = await down.client.get(f"{BASE}/types", headers=staff)
    assert types.status_code == 200
    listed = await down.client.get(f"{BASE}/activities", headers=staff)
    assert listed.status_code == 200
    calendar = await down.client.get(f"{BASE}/organizations/{BRANCH}/calendar.ics", headers=staff)
    assert calendar.status_code == 200
    assert created["id"]
    assert CHAOYANG


async def test_calendar_subscription_link_works_without_a_bearer_token(
    activity: ActivityApp,
) -> None:
    link = await activity.client.get(
        f"{BASE}/organizations/{BRANCH}/calendar-link", headers=activity.member_li()
    )
    assert link.status_code == 200, link.text
    url = link.json()["url"]
    feed = await activity.client.get(url)
    assert feed.status_code == 200, feed.text
    assert feed.text.startswith("BEGIN:VCALENDAR\r\n")
    anonymous = await activity.client.get(f"{BASE}/organizations/{BRANCH}/calendar.ics")
    assert_problem(anonymous, 401)
    other_org = url.replace(BRANCH, OTHER_BRANCH)
    assert_problem(await activity.client.get(other_org), 403)
    forged = await activity.client.get(
        f"{BASE}/organizations/{BRANCH}/calendar.ics", params={"feed_token": "x" * 24}
    )
    assert_problem(forged, 403)
