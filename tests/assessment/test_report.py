"""The city report: its figures equal the other services' own statistics for the same data."""

from __future__ import annotations

from tests.assessment.conftest import BASE, CHAOYANG, AssessmentApp, assert_problem
from tests.support.assessment_upstreams import sources_down

YEAR = 2026


async def test_the_city_report_figures_equal_the_sources_statistics(
    assessment: AssessmentApp,
) -> None:
    body = await assessment.ok("GET", f"/reports/city?period={YEAR}", assessment.assessor())
    figures = body["figures"]
    assert figures["unavailable_sources"] == []
    registry = await assessment.sources.registry.get_json(
        "/api/registry/statistics", {"on": f"{YEAR}-12-31"}
    )
    assert registry is not None
    assert figures["demonstration_sites"] == registry["alliances"]["demonstration_sites"]
    assert figures["alliances"] == registry["alliances"]["total"]
    assert (
        figures["organizations_covered"] == registry["alliance_coverage"]["organizations_covered"]
    )
    assert figures["members_covered"] == registry["alliance_coverage"]["members_covered"]
    teams = await assessment.sources.registry.get_json(
        "/api/registry/volunteer-teams", {"limit": 200}
    )
    assert teams is not None
    assert figures["volunteer_teams"] == len(teams["items"])
    activity = (
        await assessment.sources.activity.get(
            "/api/activity/statistics", params={"period": str(YEAR), "within": "demo-city"}
        )
    ).json()
    themed = {t["type_code"]: t["count"] for t in activity["by_type"]}["themed_party_day"]
    assert figures["themed_party_days"] == themed > 0
    assert figures["activities"] == activity["activities"]
    assert figures["volunteer_person_times"] == activity["volunteer_person_times"]
    # secretaries and those who lectured: the sums of every live alliance's own check
    alliances = await assessment.sources.registry.get_json(
        "/api/registry/alliances", {"limit": 200}
    )
    assert alliances is not None
    secretaries = lectured = 0
    for alliance in alliances["items"]:
        if alliance["status"] == "dissolved":
            continue
        check = (
            await assessment.sources.activity.get(
                f"/api/activity/compliance/alliances/{alliance['id']}/secretary-lectures",
                params={"year": YEAR},
            )
        ).json()
        secretaries += sum(1 for m in check["members"] if m["secretary_id"])
        lectured += sum(1 for m in check["members"] if m["met"])
    assert (figures["secretaries"], figures["secretaries_lectured"]) == (secretaries, lectured)
    assert secretaries > 0
    requests = (
        await assessment.sources.requests.get(
            "/api/service-requests/statistics",
            params={"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"},
        )
    ).json()["overall"]
    assert (figures["requests"], figures["requests_resolved"]) == (
        requests["total"],
        requests["resolved"],
    )
    assert figures["requests"] > 0
    assert figures["satisfaction_rate"] == requests["satisfaction_rate"]
    text = body["markdown"]
    assert text.startswith(f"# {YEAR}年全市融合党建工作情况")
    assert f"带动组建各类党建联合体{figures['alliances']}个" in text
    assert f"全市共开展主题党日活动{themed}场次" in text
    assert f"受理群众诉求{requests['total']}件" in text


async def test_the_city_report_with_sources_down_and_refusals(assessment: AssessmentApp) -> None:
    real, down = (
        assessment.sources,
        sources_down(assessment.keys, registry=assessment.sources.registry),
    )
    try:
        assessment.use_sources(down)
        body = await assessment.ok("GET", f"/reports/city?period={YEAR}-Q1", assessment.assessor())
    finally:
        assessment.use_sources(real)
        await down.activity.aclose()
        await down.requests.aclose()
    figures = body["figures"]
    assert figures["unavailable_sources"] == ["activity", "service-requests"]
    assert figures["alliances"] is not None
    assert (figures["themed_party_days"], figures["requests"]) == (None, None)
    assert "主题党日活动（数据暂不可用）场次" in body["markdown"]
    assert body["markdown"].startswith(f"# {YEAR}年第1季度")
    url = f"{BASE}/reports/city?period={YEAR}"
    assert_problem(await assessment.client.get(url, headers=assessment.staff(CHAOYANG)), 403)
    assert_problem(
        await assessment.client.get(
            f"{BASE}/reports/city?period=2026-H1", headers=assessment.assessor()
        ),
        422,
    )
