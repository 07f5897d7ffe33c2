"""Activities: who records them, the lifecycle (409 on illegal moves), references (422)."""

from __future__ import annotations

import base64

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
from zhdj_activity.models import Activity, ActivityEvent


async def _count(app: ActivityApp) -> int:
    async with app.session() as session:
        return int((await session.exec(select(func.count(col(Activity.id))))).one())


async def test_types_are_data_with_chinese_labels(activity: ActivityApp) -> None:
    response = await activity.client.get(f"{BASE}/types", headers=activity.staff(C1))
    assert response.status_code == 200
    labels = {t["code"]: t["label_zh"] for t in response.json()}
    assert labels["themed_party_day"] == "主题党日"
    assert labels["party_lecture"] == "党课"


async def test_staff_of_the_org_or_an_ancestor_plan_others_are_refused(
    activity: ActivityApp,
) -> None:
    own = await activity.plan(activity.staff(BRANCH))
    assert own["status"] == "planned"
    assert own["status_label"] == "计划中"
    assert own["owner"] == {"kind": "org", "id": BRANCH}
    above = await activity.plan(activity.staff(CHAOYANG))
    assert above["type_label"] == "主题党日"
    before = await _count(activity)
    for headers in (
        activity.staff(OTHER_BRANCH),
        activity.member_li(),
        activity.keys.bearer(sub="resident", roles=["resident"], orgs=[BRANCH]),
    ):
        refused = await activity.client.post(
            f"{BASE}/activities", json=activity_body(), headers=headers
        )
        assert_problem(refused, 403)
    assert await _count(activity) == before


async def test_unknown_organization_type_venue_or_lecturer_is_422(activity: ActivityApp) -> None:
    before = await _count(activity)
    cases = [
        ({"owner": {"kind": "org", "id": "no-such-org"}}, "owner.id"),
        ({"partners": [{"kind": "org", "id": "no-such-org"}]}, "partners.0.id"),
        ({"owner": {"kind": "alliance", "id": "no-such-alliance"}}, "owner.id"),
        ({"type_code": "no_such_type"}, "type_code"),
        ({"venue_id": "no-such-venue"}, "venue_id"),
        (
            {"type_code": "party_lecture", "lecturer_member_id": "no-such-member"},
            "lecturer_member_id",
        ),
    ]
    for overrides, field in cases:
        response = await activity.client.post(
            f"{BASE}/activities", json=activity_body(**overrides), headers=activity.staff(C1)
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["field"] == field
    bad_times = activity_body(ends_at="2026-03-05T13:00:00+08:00")
    response = await activity.client.post(
        f"{BASE}/activities", json=bad_times, headers=activity.staff(C1)
    )
    assert_problem(response, 422)
    assert await _count(activity) == before


async def test_lifecycle_and_illegal_transitions(activity: ActivityApp) -> None:
    staff = activity.staff(BRANCH)
    created = await activity.plan(staff)
    url = f"{BASE}/activities/{created['id']}"
    supervisor = activity.staff(CHAOYANG, sub="street-staff")
    # approving a planned activity, returning it: illegal
    assert_problem(await activity.client.post(f"{url}/approve", headers=supervisor), 409)
    record = {"minutes": "学习了党章，讨论了社区服务。", "decisions": ["每周开展志愿服务"]}
    held = await activity.client.post(f"{url}/record", json=record, headers=staff)
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "held"
    assert held.json()["held_on"] == "2026-03-05"
    # the organization itself does not approve its own record
    assert_problem(await activity.client.post(f"{url}/approve", headers=staff), 403)
    returned = await activity.client.post(
        f"{url}/return", json={"reason": "缺少会议照片"}, headers=supervisor
    )
    assert returned.json()["status"] == "returned"
    assert returned.json()["status_reason"] == "缺少会议照片"
    again = await activity.client.post(f"{url}/record", json=record, headers=staff)
    assert again.json()["status"] == "held"
    approved = await activity.client.post(f"{url}/approve", headers=supervisor)
    assert approved.json()["status"] == "approved"
    # approved: never edited in place, never cancelled, resubmitting is a conflict
    assert_problem(await activity.client.post(f"{url}/record", json=record, headers=staff), 409)
    assert_problem(
        await activity.client.post(f"{url}/cancel", json={"reason": "重复录入"}, headers=staff),
        409,
    )
    correction = await activity.client.post(
        f"{url}/corrections",
        json={"field": "minutes", "correction": "补充：会后进行了集体学习", "reason": "记录遗漏"},
        headers=staff,
    )
    assert correction.status_code == 201, correction.text
    after = (await activity.client.get(url, headers=staff)).json()
    assert after["minutes"] == record["minutes"]
    events = (await activity.client.get(f"{url}/events", headers=staff)).json()
    assert [e["kind"] for e in events] == [
        "created",
        "record_submitted",
        "returned",
        "record_submitted",
        "approved",
        "corrected",
    ]


async def test_cancel_needs_a_reason_and_a_cancelled_activity_stays_cancelled(
    activity: ActivityApp,
) -> None:
    created = await activity.plan()
    url = f"{BASE}/activities/{created['id']}"
    staff = activity.staff(C1)
    assert_problem(await activity.client.post(f"{url}/cancel", json={}, headers=staff), 422)
    cancelled = await activity.client.post(
        f"{url}/cancel", json={"reason": "台风停课"}, headers=staff
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["status_reason"] == "台风停课"
    record = {"minutes": "x"}
    assert_problem(await activity.client.post(f"{url}/record", json=record, headers=staff), 409)
    assert_problem(
        await activity.client.post(f"{url}/cancel", json={"reason": "再次"}, headers=staff), 409
    )
    async with activity.session() as session:
        kinds = (
            await session.exec(
                select(ActivityEvent.kind).where(col(ActivityEvent.activity_id) == created["id"])
            )
        ).all()
    assert sorted(kinds) == ["cancelled", "created"]


async def test_joint_activity_lists_partners_and_unknown_activity_is_404(
    activity: ActivityApp,
) -> None:
    joint = await activity.plan(
        activity.staff(CHAOYANG),
        partners=[
            {"kind": "org", "id": f"{C1}-b2"},
            {"kind": "alliance", "id": "demo-a-chaoyang-hnd"},
        ],
    )
    assert {p["id"] for p in joint["partners"]} == {f"{C1}-b2", "demo-a-chaoyang-hnd"}
    listed = await activity.client.get(
        f"{BASE}/activities", params={"party_id": f"{C1}-b2"}, headers=activity.staff(C1)
    )
    assert [a["id"] for a in listed.json()["items"]] == [joint["id"]]
    subtree = await activity.client.get(
        f"{BASE}/activities", params={"within": CHAOYANG}, headers=activity.staff(C1)
    )
    assert joint["id"] in [a["id"] for a in subtree.json()["items"]]
    elsewhere = await activity.client.get(
        f"{BASE}/activities", params={"within": OTHER_BRANCH}, headers=activity.staff(C1)
    )
    assert elsewhere.json()["items"] == []
    unknown = await activity.client.get(
        f"{BASE}/activities", params={"within": "no-such-org"}, headers=activity.staff(C1)
    )
    assert_problem(unknown, 404)
    missing = await activity.client.get(f"{BASE}/activities/nope", headers=activity.staff(C1))
    assert_problem(missing, 404)
    assert BRANCH in joint["owner"]["id"]


async def test_listing_pages_with_a_cursor(activity: ActivityApp) -> None:
    ids = []
    for day in ("2026-01-05", "2026-01-06", "2026-01-07"):
        created = await activity.plan(
            activity.staff(BRANCH),
            starts_at=f"{day}T09:00:00+08:00",
            ends_at=f"{day}T10:00:00+08:00",
        )
        ids.append(created["id"])
    params: dict[str, str | int] = {"party_id": BRANCH, "limit": 2}
    first = (
        await activity.client.get(f"{BASE}/activities", params=params, headers=activity.staff(C1))
    ).json()
    assert [a["id"] for a in first["items"]] == ids[:2]
    params["cursor"] = first["next_cursor"]
    second = (
        await activity.client.get(f"{BASE}/activities", params=params, headers=activity.staff(C1))
    ).json()
    assert [a["id"] for a in second["items"]] == ids[2:]
    assert second["next_cursor"] is None
    bad = await activity.client.get(
        f"{BASE}/activities", params={"cursor": "garbage"}, headers=activity.staff(C1)
    )
    assert_problem(bad, 422)
    forged = base64.urlsafe_b64encode(b'[1, "x"]').decode().rstrip("=")
    wrong_type = await activity.client.get(
        f"{BASE}/activities", params={"cursor": forged}, headers=activity.staff(C1)
    )
    assert_problem(wrong_type, 422)
