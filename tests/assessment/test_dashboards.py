"""Dashboards over the real registry, activity and service-requests apps: the overview of the
latest published results, month-by-month trends equal to the sources' own statistics, and
red/yellow/green warnings with reasons and source values; a source down gives nulls (and
"unavailable" checks), never zeros; assessors see all, staff their subtree, others 403."""

from __future__ import annotations

from datetime import date, timedelta

from tests.assessment.conftest import (
    BASE,
    CHAOYANG,
    HND,
    XINHUA,
    AssessmentApp,
    assert_problem,
)
from tests.assessment.test_cycles import LIULIN, make_system, open_cycle, score_all
from tests.support.assessment_upstreams import unreachable_client
from zhdj_assessment.sources import Sources
from zhdj_shared.clock import today_in_china


async def test_overview_counts_the_latest_published_results_in_scope(
    assessment: AssessmentApp,
) -> None:
    h = assessment.assessor()
    ids = await make_system(assessment)
    cid = await open_cycle(assessment, ids)
    await score_all(assessment, cid, ids)
    for action in ("finalize", "publish"):
        await assessment.ok("POST", f"/cycles/{cid}/{action}", h)
    city = await assessment.ok("GET", "/dashboards/overview", h)
    (item,) = city["items"]
    # 100 优秀, 80 良好, 80 良好, 59 较差 (veto): hand-computed in test_cycles
    assert (item["cycle_id"], item["targets"], item["complete"]) == (cid, 4, 4)
    assert item["grades"] == {"excellent": 1, "good": 2, "fair": 0, "poor": 1}
    assert (item["rectification"], item["incentive"], item["average_total"]) == (1, 1, 79.75)
    district = await assessment.ok("GET", "/dashboards/overview", h, params={"within": XINHUA})
    (d,) = district["items"]
    assert LIULIN not in XINHUA  # 柳林 is in 清河, outside 新华
    assert (d["targets"], d["rectification"], d["average_total"]) == (3, 0, 86.67)
    # staff: their own subtree only
    mine = await assessment.ok(
        "GET", "/dashboards/overview", assessment.staff(CHAOYANG), params={"within": CHAOYANG}
    )
    assert (mine["items"][0]["targets"], mine["items"][0]["grades"]["excellent"]) == (1, 1)
    url = f"{BASE}/dashboards/overview"
    staff = assessment.staff(CHAOYANG)
    for headers, params in (
        (staff, {"within": XINHUA}),  # above their organization
        (staff, {}),  # the whole city
        (assessment.member(), {"within": CHAOYANG}),
    ):
        assert_problem(await assessment.client.get(url, headers=headers, params=params), 403)


async def test_trends_equal_the_sources_statistics_month_by_month(
    assessment: AssessmentApp, real_sources: Sources
) -> None:
    year = today_in_china().year
    body = await assessment.ok(
        "GET", "/dashboards/trends", assessment.assessor(), params={"year": year, "within": XINHUA}
    )
    months = body["months"]
    assert [m["month"] for m in months] == [f"{year}-{m:02d}" for m in range(1, 13)]
    assert all(m["unavailable_sources"] == [] for m in months)
    for m in months:
        direct = await real_sources.activity.get(
            "/api/activity/statistics", params={"period": m["month"], "within": XINHUA}
        )
        assert m["activities"] == direct.json()["activities"]
        assert m["volunteer_person_times"] == direct.json()["volunteer_person_times"]
    requests = await real_sources.requests.get(
        "/api/service-requests/statistics",
        params={
            "group_by": "month",
            "within": XINHUA,
            "from": f"{year}-01-01",
            "to": f"{year}-12-31",
        },
    )
    groups = {g["key"]: g for g in requests.json()["groups"]}
    for m in months:
        g = groups.get(m["month"])
        assert m["requests"] == (g["total"] if g else 0)
        assert m["satisfaction_rate"] == (g["satisfaction_rate"] if g else None)
        assert m["on_time_rate"] == (g["on_time_rate"] if g else None)
    assert sum(m["activities"] for m in months) > 0
    assert sum(m["requests"] for m in months) > 0


async def test_warnings_give_a_level_reason_and_source_values_per_alliance(
    assessment: AssessmentApp, real_sources: Sources
) -> None:
    on = today_in_china()
    body = await assessment.ok(
        "GET",
        "/dashboards/warnings",
        assessment.staff(CHAOYANG),
        params={"within": CHAOYANG, "on": on.isoformat()},
    )
    assert HND in [w["alliance_id"] for w in body["items"]]
    hnd = next(w for w in body["items"] if w["alliance_id"] == HND)
    checks = {c["code"]: c for c in hnd["checks"]}
    assert set(checks) == {
        "no_activity",
        "overdue_requests",
        "low_satisfaction",
        "missing_convener",
    }
    assert {c["level"] for c in checks.values()} <= {"red", "yellow", "green"}
    worst = {c["level"] for c in checks.values()}
    assert hnd["level"] == ("red" if "red" in worst else "yellow" if "yellow" in worst else "green")
    assert all(c["reason"] for c in checks.values())
    # the convener check is the registry's answer for that day
    convener = await real_sources.registry.get_json(
        f"/api/registry/alliances/{HND}/convener", {"on": on.isoformat()}
    )
    assert checks["missing_convener"]["values"]["period"] == convener["period"]
    assert checks["missing_convener"]["level"] == (
        "yellow" if convener["period"] is None else "green"
    )
    # satisfaction: the requests statistics of the window
    stats = await real_sources.requests.get(
        "/api/service-requests/statistics",
        params={
            "within": CHAOYANG,
            "from": checks["low_satisfaction"]["values"]["from"],
            "to": on.isoformat(),
        },
    )
    assert (
        checks["low_satisfaction"]["values"]["satisfaction_rate"]
        == (stats.json()["overall"]["satisfaction_rate"])
    )
    # no activity: green 10 days after the last one held in the lead's subtree, red 61 days after
    starts: list[date] = []
    for status in ("held", "approved"):
        cursor = None
        while True:
            params: dict[str, str | int] = {"within": CHAOYANG, "status": status, "limit": 200}
            listed = (
                await real_sources.activity.get(
                    "/api/activity/activities",
                    params={**params, **({"cursor": cursor} if cursor else {})},
                )
            ).json()
            starts += [date.fromisoformat(a["starts_at"][:10]) for a in listed["items"]]
            cursor = listed.get("next_cursor")
            if not cursor:
                break
    last = max(starts)
    for days, level in ((10, "green"), (61, "red")):
        later = await assessment.ok(
            "GET",
            "/dashboards/warnings",
            assessment.assessor(),
            params={"within": CHAOYANG, "on": (last + timedelta(days=days)).isoformat()},
        )
        item = next(w for w in later["items"] if w["alliance_id"] == HND)
        (check,) = [c for c in item["checks"] if c["code"] == "no_activity"]
        assert (check["level"], check["values"]["held"]) == (level, level == "green"), (last, check)
    # a day long ago: no activity in the 60 days before → red, with its reason
    old = await assessment.ok(
        "GET",
        "/dashboards/warnings",
        assessment.assessor(),
        params={"within": CHAOYANG, "on": date(2001, 6, 1).isoformat()},
    )
    for item in old["items"]:
        (check,) = [c for c in item["checks"] if c["code"] == "no_activity"]
        assert (check["level"], check["values"]["held"]) == ("red", False)
        assert "60 天内" in check["reason"]
        assert item["level"] == "red"
    assert old["counts"]["red"] == len(old["items"]) > 0


async def test_a_source_down_gives_nulls_and_unavailable_checks_never_zeros(
    assessment: AssessmentApp, real_sources: Sources
) -> None:
    down = Sources(
        real_sources.registry,
        unreachable_client(assessment.keys),
        unreachable_client(assessment.keys),
    )
    assessment.use_sources(down)
    h = assessment.assessor()
    try:
        trends = await assessment.ok(
            "GET", "/dashboards/trends", h, params={"year": 2026, "within": XINHUA}
        )
        for m in trends["months"]:
            assert m["unavailable_sources"] == ["activity", "service-requests"]
            assert [m[k] for k in ("activities", "requests", "satisfaction_rate")] == [None] * 3
        warnings = await assessment.ok(
            "GET", "/dashboards/warnings", h, params={"within": CHAOYANG}
        )
        checks = {c["code"]: c for c in warnings["items"][0]["checks"]}
        for code in ("no_activity", "overdue_requests", "low_satisfaction"):
            assert checks[code]["level"] == "unavailable"
            assert checks[code]["values"] == {}
        assert checks["missing_convener"]["level"] in ("green", "yellow")
    finally:
        assessment.use_sources(real_sources)


async def test_a_dashboard_is_answered_again_for_a_while_but_never_with_a_source_down(
    assessment: AssessmentApp, real_sources: Sources
) -> None:
    """Trends and warnings read the other services dozens of times: the same question within
    the cache's time gets the same answer (and its computed_at), so a roomful of leaders costs
    one computation. An answer with an unavailable source is never kept."""
    down = Sources(
        real_sources.registry,
        unreachable_client(assessment.keys),
        unreachable_client(assessment.keys),
    )
    h = assessment.assessor()
    year = today_in_china().year
    params = {"year": year, "within": XINHUA}
    try:
        fresh = await assessment.ok("GET", "/dashboards/trends", h, params=params)
        warned = await assessment.ok("GET", "/dashboards/warnings", h, params={"within": CHAOYANG})
        assessment.use_sources(down)  # the sources go down: the kept answers are still good
        assert await assessment.ok("GET", "/dashboards/trends", h, params=params) == fresh
        assert (
            await assessment.ok("GET", "/dashboards/warnings", h, params={"within": CHAOYANG})
            == warned
        )
        # Another question is computed now, with the sources down, and is not kept ...
        other = {"year": year - 1, "within": XINHUA}
        gone = await assessment.ok("GET", "/dashboards/trends", h, params=other)
        assert all(m["unavailable_sources"] for m in gone["months"])
        assessment.use_sources(real_sources)
        # ... so once they are back the same question gets real figures at once.
        back = await assessment.ok("GET", "/dashboards/trends", h, params=other)
        assert all(m["unavailable_sources"] == [] for m in back["months"])
        assert back["computed_at"] > gone["computed_at"]
    finally:
        assessment.use_sources(real_sources)
