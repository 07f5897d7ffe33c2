"""Idempotency-Key on the activity POSTs a phone retries: planning, checking in, booking a venue,
recording volunteer service. The same key and body give the first answer again (nothing stored
twice); the same key with another body is 422 and stores nothing; keys are per caller."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select

from tests.activity.conftest import BASE, BRANCH, C1, ActivityApp, activity_body, assert_problem
from tests.activity.test_bookings_calendar_registry import booking
from zhdj_activity.models import Activity, Attendance, VenueBooking, VolunteerRecord
from zhdj_shared.idempotency import REPLAYED_HEADER


async def _count(app: ActivityApp, column: Any) -> int:
    async with app.session() as session:
        return int((await session.exec(select(func.count(column)))).one())


async def test_planning_twice_with_one_key_plans_once(activity: ActivityApp) -> None:
    staff = activity.staff(C1)
    before = await _count(activity, col(Activity.id))
    key = {"Idempotency-Key": "plan-2026-03-05-a"}
    first = await activity.client.post(
        f"{BASE}/activities", json=activity_body(), headers={**staff, **key}
    )
    assert first.status_code == 201, first.text
    assert REPLAYED_HEADER not in first.headers
    again = await activity.client.post(
        f"{BASE}/activities", json=activity_body(), headers={**staff, **key}
    )
    assert again.status_code == 201, again.text
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.json() == first.json()
    assert (
        again.headers["location"]
        == first.headers["location"]
        == (f"{BASE}/activities/{first.json()['id']}")
    )
    assert await _count(activity, col(Activity.id)) == before + 1

    other_body = await activity.client.post(
        f"{BASE}/activities",
        json=activity_body(title="另一个主题党日"),
        headers={**staff, **key},
    )
    problem = assert_problem(other_body, 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert await _count(activity, col(Activity.id)) == before + 1

    # Keys are the caller's own: another secretary may pick the same one.
    someone_else = await activity.client.post(
        f"{BASE}/activities",
        json=activity_body(),
        headers={**activity.staff(C1, sub="staff-2"), **key},
    )
    assert someone_else.status_code == 201, someone_else.text
    assert someone_else.json()["id"] != first.json()["id"]
    # No key: every call plans (the old behaviour, for callers that do not retry).
    plain = await activity.client.post(f"{BASE}/activities", json=activity_body(), headers=staff)
    assert plain.status_code == 201
    assert await _count(activity, col(Activity.id)) == before + 3


async def test_a_refused_plan_does_not_spend_its_key(activity: ActivityApp) -> None:
    staff = activity.staff(C1)
    key = {"Idempotency-Key": "plan-after-a-fix"}
    bad = await activity.client.post(
        f"{BASE}/activities",
        json=activity_body(type_code="no-such-type"),
        headers={**staff, **key},
    )
    assert_problem(bad, 422)
    fixed = await activity.client.post(
        f"{BASE}/activities", json=activity_body(), headers={**staff, **key}
    )
    assert fixed.status_code == 201, fixed.text
    assert REPLAYED_HEADER not in fixed.headers


async def test_a_retried_check_in_gets_the_check_in_back(activity: ActivityApp) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{created['id']}"
    code = (
        await activity.client.post(f"{url}/checkin-code", headers=activity.staff(BRANCH))
    ).json()["code"]
    headers = {**activity.member_li(), "Idempotency-Key": "checkin-li-1"}
    first = await activity.client.post(f"{url}/checkins", json={"code": code}, headers=headers)
    assert first.status_code == 200, first.text
    retried = await activity.client.post(f"{url}/checkins", json={"code": code}, headers=headers)
    assert retried.status_code == 200, retried.text
    assert retried.headers[REPLAYED_HEADER] == "true"
    assert retried.json() == first.json()
    # Without the key the second check-in is still what it always was: 409.
    assert_problem(
        await activity.client.post(
            f"{url}/checkins", json={"code": code}, headers=activity.member_li()
        ),
        409,
    )
    async with activity.session() as session:
        present = await session.exec(
            select(func.count(col(Attendance.member_id))).where(
                col(Attendance.activity_id) == created["id"], col(Attendance.status) == "present"
            )
        )
        assert present.one() == 1


async def test_a_retried_booking_is_the_same_booking_not_a_clash(activity: ActivityApp) -> None:
    staff = activity.staff(BRANCH)
    before = await _count(activity, col(VenueBooking.id))
    headers = {**staff, "Idempotency-Key": "book-hnd-1205"}
    first = await activity.client.post(f"{BASE}/bookings", json=booking(), headers=headers)
    assert first.status_code == 201, first.text
    retried = await activity.client.post(f"{BASE}/bookings", json=booking(), headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.json()["id"] == first.json()["id"]
    assert retried.headers["location"] == f"{BASE}/bookings/{first.json()['id']}"
    assert await _count(activity, col(VenueBooking.id)) == before + 1


async def test_volunteer_hours_are_recorded_once_per_key(activity: ActivityApp) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    roster = (
        await activity.client.get(
            f"{BASE}/activities/{created['id']}/attendance", headers=activity.staff(C1)
        )
    ).json()["items"]
    member_id = next(r["member_id"] for r in roster if r["member_name"] == "李明")
    body = {"member_id": member_id, "post_kind": "文明引导", "hours": 2, "served_on": "2026-01-05"}
    headers = {**activity.staff(C1), "Idempotency-Key": "hours-li-0105"}
    before = await _count(activity, col(VolunteerRecord.id))
    for _ in range(3):
        response = await activity.client.post(
            f"{BASE}/volunteer-records", json=body, headers=headers
        )
        assert response.status_code == 201, response.text
    assert await _count(activity, col(VolunteerRecord.id)) == before + 1
