"""Cadence compliance against hand-computed figures (month, quarter, year) with exemptions and
joint activities; the alliance secretary-lecture check; statistics for service principals.

The constructed history is in 2025, so every window has ended whatever today is.

Branch BRANCH (rules: committee meeting and themed day monthly; general meeting and party
lecture quarterly), held in 2025:

* themed party day: Jan 10, Feb 12, Feb 20, Apr 8 (held jointly, owned by branch b2), Jun 5
* committee meeting: Jan 15, Mar 3
* general meeting: Mar 28; one planned for May and cancelled; one planned for Aug, never held
* party lecture: Feb 1; one in May held but returned by the street (does not count)
* exemptions: every rule for Q3 (Jul 1 - Sep 30); committee meetings for December

Hand computed:

* 2025-02: required committee Feb (missed), themed Feb (met) -> 2 required, 1 met, rate 0.5
  (the quarterly windows end in March: not yet required in a February report)
* 2025-Q1: 3 + 3 monthly windows and 2 quarterly ones -> 8 required; missed committee Feb and
  themed Mar -> 6 met, rate 0.75
* 2025: 24 monthly + 8 quarterly = 32 windows; exempt: Q3's 6 monthly + 2 quarterly + committee
  December = 9 -> 23 required; met: committee Jan, Mar; themed Jan, Feb, Apr, Jun; general Q1;
  lecture Q1 = 8 -> missing 15, rate 8/23
"""

from __future__ import annotations

from typing import Any

from tests.activity.conftest import BASE, BRANCH, C1, CHAOYANG, ActivityApp, assert_problem

B2 = f"{C1}-b2"
ALLIANCE = "demo-a-chaoyang-hnd"


async def _held(
    app: ActivityApp,
    type_code: str,
    day: str,
    *,
    owner: str = BRANCH,
    partners: list[dict[str, str]] | None = None,
    then: str | None = None,
    **extra: Any,
) -> str:
    staff = app.staff(owner) if owner.startswith("demo-s") else app.staff(CHAOYANG)
    created = await app.plan(
        staff,
        type_code=type_code,
        owner={"kind": "alliance" if owner == ALLIANCE else "org", "id": owner},
        partners=partners or [],
        starts_at=f"{day}T09:00:00+08:00",
        ends_at=f"{day}T11:00:00+08:00",
        **extra,
    )
    url = f"{BASE}/activities/{created['id']}"
    if then == "cancel":
        response = await app.client.post(f"{url}/cancel", json={"reason": "改期"}, headers=staff)
        assert response.status_code == 200, response.text
        return str(created["id"])
    if then == "plan_only":
        return str(created["id"])
    response = await app.client.post(f"{url}/record", json={"minutes": "会议记录"}, headers=staff)
    assert response.status_code == 200, response.text
    if then == "return":
        response = await app.client.post(
            f"{url}/return", json={"reason": "记录不完整"}, headers=app.staff(CHAOYANG, sub="st")
        )
        assert response.status_code == 200, response.text
    return str(created["id"])


async def _history(app: ActivityApp) -> None:
    for day in ("2025-01-10", "2025-02-12", "2025-02-20", "2025-06-05"):
        await _held(app, "themed_party_day", day)
    await _held(app, "themed_party_day", "2025-04-08", owner=B2, partners=[{"id": BRANCH}])
    await _held(app, "committee_meeting", "2025-01-15")
    await _held(app, "committee_meeting", "2025-03-03")
    await _held(app, "general_meeting", "2025-03-28")
    await _held(app, "general_meeting", "2025-05-20", then="cancel")
    await _held(app, "general_meeting", "2025-08-20", then="plan_only")
    await _held(app, "party_lecture", "2025-02-01", lecturer_name="王书记")
    await _held(app, "party_lecture", "2025-05-09", lecturer_name="王书记", then="return")
    street = app.staff(CHAOYANG, sub="street")
    for rule, start, end in (
        (None, "2025-07-01", "2025-09-30"),
        ("branch_committee_meeting", "2025-12-01", "2025-12-31"),
    ):
        response = await app.client.post(
            f"{BASE}/exemptions",
            json={
                "party_id": BRANCH,
                "rule_code": rule,
                "start_on": start,
                "end_on": end,
                "reason": "支部换届调整",
            },
            headers=street,
        )
        assert response.status_code == 201, response.text


async def _report(app: ActivityApp, org: str, period: str, **params: Any) -> dict[str, Any]:
    response = await app.client.get(
        f"{BASE}/compliance/organizations/{org}",
        params={"period": period, **params},
        headers=app.staff(C1),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_compliance_equals_hand_computed_month_quarter_and_year(
    activity: ActivityApp,
) -> None:
    await _history(activity)

    month = await _report(activity, BRANCH, "2025-02")
    assert (month["required"], month["held"], month["missing"], month["rate"]) == (2, 1, 1, 0.5)
    assert [m["rule_code"] for m in month["missing_items"]] == ["branch_committee_meeting"]
    assert month["overdue"] == 1

    quarter = await _report(activity, BRANCH, "2025-Q1", detail=True)
    assert (quarter["required"], quarter["held"], quarter["missing"]) == (8, 6, 2)
    assert quarter["rate"] == 0.75
    missing = {(m["rule_code"], m["start"]) for m in quarter["missing_items"]}
    assert missing == {
        ("branch_committee_meeting", "2025-02-01"),
        ("branch_themed_day", "2025-03-01"),
    }
    held_feb = next(
        w
        for w in quarter["windows"]
        if w["rule_code"] == "branch_themed_day" and w["start"] == "2025-02-01"
    )
    assert held_feb["held"] == 2

    year = await _report(activity, BRANCH, "2025")
    assert year["required"] == 23
    assert year["exempt"] == 9
    assert year["held"] == 8
    assert year["missing"] == 15
    assert year["overdue"] == 15
    assert year["rate"] == round(8 / 23, 4)

    # The joint themed day counts for its owner too.
    b2 = await _report(activity, B2, "2025-04", detail=True)
    themed = next(w for w in b2["windows"] if w["rule_code"] == "branch_themed_day")
    assert themed["held"] == 1
    assert themed["state"] == "met"


async def test_subtree_compliance_is_the_sum_of_its_organizations(activity: ActivityApp) -> None:
    await _history(activity)
    subtree = await _report(activity, C1, "2025-Q1", subtree=True)
    branch = await _report(activity, BRANCH, "2025-Q1")
    assert subtree["parties"] > 2
    others = subtree["required"] - branch["required"]
    # Every other organization in the subtree held nothing but b2's joint day in April.
    assert subtree["held"] == branch["held"]
    assert subtree["missing"] == branch["missing"] + others


async def test_compliance_refusals(activity: ActivityApp) -> None:
    bad = await activity.client.get(
        f"{BASE}/compliance/organizations/{BRANCH}",
        params={"period": "2025-13"},
        headers=activity.staff(C1),
    )
    assert_problem(bad, 422)
    unknown = await activity.client.get(
        f"{BASE}/compliance/organizations/no-such-org",
        params={"period": "2025"},
        headers=activity.staff(C1),
    )
    assert_problem(unknown, 404)
    stranger = await activity.client.get(
        f"{BASE}/compliance/organizations/{BRANCH}",
        params={"period": "2025"},
        headers=activity.staff("demo-d-dongcheng"),
    )
    assert_problem(stranger, 403)


async def test_alliance_compliance_and_secretary_lectures(activity: ActivityApp) -> None:
    # A visit exchange held jointly by the branch and the alliance in May 2025.
    await _held(
        activity, "visit_exchange", "2025-05-10", partners=[{"kind": "alliance", "id": ALLIANCE}]
    )
    response = await activity.client.get(
        f"{BASE}/compliance/alliances/{ALLIANCE}",
        params={"period": "2025-05", "detail": True},
        headers=activity.staff(CHAOYANG),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # required in May: the monthly visit (met) and the one-time founding meeting (missing)
    assert (body["required"], body["held"]) == (2, 1)
    assert [m["rule_code"] for m in body["missing_items"]] == ["alliance_founding"]
    stats = await activity.client.get(
        f"{BASE}/statistics",
        params={"alliance_id": ALLIANCE, "period": "2025-05"},
        headers=activity.service(),
    )
    assert stats.status_code == 200, stats.text
    assert stats.json()["by_type"] == [
        {"type_code": "visit_exchange", "label_zh": "互访交流", "count": 1}
    ]
    assert stats.json()["compliance_rate"] == 0.5

    url = f"{BASE}/compliance/alliances/{ALLIANCE}/secretary-lectures"
    check = (
        await activity.client.get(url, params={"year": 2026}, headers=activity.staff(C1))
    ).json()
    assert check["all_met"] is False
    with_secretary = [m for m in check["members"] if m["secretary_id"]]
    assert with_secretary, check
    target = with_secretary[0]
    assert target["lectures"] == 0
    await _held(
        activity,
        "party_lecture",
        "2026-03-12",
        owner=ALLIANCE,
        lecturer_member_id=target["secretary_id"],
    )
    check = (
        await activity.client.get(url, params={"year": 2026}, headers=activity.staff(C1))
    ).json()
    after = next(m for m in check["members"] if m["org_id"] == target["org_id"])
    assert after["lectures"] == 1
    assert after["met"] is True


async def test_statistics_answer_a_service_principal(activity: ActivityApp) -> None:
    await _history(activity)
    created = await _held(activity, "volunteer_service", "2025-03-15")
    roster = (
        await activity.client.get(
            f"{BASE}/activities/{created}/attendance", headers=activity.staff(C1)
        )
    ).json()
    members = [r["member_id"] for r in roster["items"]]
    for i, member in enumerate(members[:2]):
        response = await activity.client.post(
            f"{BASE}/volunteer-records",
            json={
                "member_id": member,
                "post_kind": "助老服务",
                "hours": 2.5 + i,
                "served_on": "2025-03-15",
                "activity_id": created,
                "service_request_id": "sr-001",
            },
            headers=activity.staff(BRANCH),
        )
        assert response.status_code == 201, response.text
    response = await activity.client.get(
        f"{BASE}/statistics",
        params={"org_id": BRANCH, "period": "2025-Q1"},
        headers=activity.service(),
    )
    assert response.status_code == 200, response.text
    stats = response.json()
    by_type = {t["type_code"]: t["count"] for t in stats["by_type"]}
    assert by_type == {
        "themed_party_day": 3,
        "committee_meeting": 2,
        "general_meeting": 1,
        "party_lecture": 1,
        "volunteer_service": 1,
    }
    assert stats["activities"] == 8
    assert stats["compliance_rate"] == 0.75
    assert stats["volunteer_hours"] == 6.0
    assert stats["volunteer_person_times"] == 2
    assert stats["attendance_rate"] == 0.0
    assert stats["roster_places"] == 8 * len(members)
    subtree = await activity.client.get(
        f"{BASE}/statistics",
        params={"within": CHAOYANG, "period": "2025"},
        headers=activity.service(),
    )
    assert subtree.status_code == 200, subtree.text
    assert subtree.json()["volunteer_person_times"] == 2
    both = await activity.client.get(
        f"{BASE}/statistics",
        params={"org_id": BRANCH, "within": C1, "period": "2025"},
        headers=activity.service(),
    )
    assert_problem(both, 422)
    no_scope = activity.keys.bearer(
        sub="svc", kind="client", roles=["service"], scope="registry:read"
    )
    refused = await activity.client.get(
        f"{BASE}/statistics", params={"org_id": BRANCH, "period": "2025"}, headers=no_scope
    )
    assert_problem(refused, 403)
