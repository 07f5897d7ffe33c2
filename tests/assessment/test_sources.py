"""Automatic scores read from the REAL registry, activity and service-requests apps: evidence,
equality with the sources' own statistics, sources down, recompute and the frozen cycle."""

from __future__ import annotations

from typing import Any

import pytest

from tests.assessment.conftest import (
    BASE,
    CHAOYANG,
    DEFAULT_SYSTEM,
    HND,
    PARK,
    XINHUA,
    AssessmentApp,
    assert_problem,
)
from tests.support.assessment_upstreams import sources_down

YEAR = 2026
MANUAL_DEFAULTS = ("leadership.team", "funding.sources", "venues.shared", "care.incentives")


def indicators(detail: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for d in detail["dimensions"] for i in d["indicators"]}


async def open_default(app: AssessmentApp, targets: list[str]) -> str:
    h = app.assessor()
    cycle = await app.ok(
        "POST",
        "/cycles",
        h,
        json={
            "name": f"{YEAR} 年度融合党建考核",
            "system_id": DEFAULT_SYSTEM,
            "year": YEAR,
            "target_ids": targets,
        },
    )
    await app.ok("POST", f"/cycles/{cycle['id']}/open", h)
    return str(cycle["id"])


async def test_the_default_standard_system_is_seeded(assessment: AssessmentApp) -> None:
    body = await assessment.ok("GET", f"/systems/{DEFAULT_SYSTEM}", assessment.staff(CHAOYANG))
    assert (body["name"], body["version"], body["target_kind"]) == (
        "融合党建工作标准体系",
        1,
        "alliance",
    )
    names = [d["name"] for d in body["dimensions"]]
    assert names == [
        "组织覆盖",
        "班子建设",
        "职责履行",
        "经费保障",
        "阵地建设",
        "服务引领",
        "队伍建设",
        "先锋示范",
        "关怀激励",
        "活动合规",
        "群众满意",
        "一票否决",
    ]
    assert sum(d["weight"] for d in body["dimensions"]) == 100
    assert [g["label"] for g in body["grade_bands"]] == ["优秀", "良好", "一般", "较差"]
    vetoes = [i for d in body["dimensions"] for i in d["indicators"] if i["veto"]]
    assert [v["code"] for v in vetoes] == ["veto.discipline"]


async def test_a_new_version_keeps_the_old_and_bad_systems_are_refused(
    assessment: AssessmentApp,
) -> None:
    h = assessment.assessor()
    old = await assessment.ok("GET", f"/systems/{DEFAULT_SYSTEM}", h)
    dims = [
        {
            "code": d["code"],
            "name": d["name"],
            "weight": d["weight"],
            "indicators": [
                {
                    k: i[k]
                    for k in (
                        "code",
                        "name",
                        "kind",
                        "max_score",
                        "metric",
                        "method",
                        "params",
                        "veto",
                        "veto_below",
                    )
                }
                for i in d["indicators"]
            ],
        }
        for d in old["dimensions"]
    ]
    body = {
        "code": old["code"],
        "name": old["name"],
        "target_kind": "alliance",
        "grade_bands": {"excellent": 85, "good": 75, "fair": 60},
        "rectification_below": 60,
        "veto_cap": 59,
        "incentive_share": 0.1,
        "appeal_days": 15,
        "dimensions": dims,
    }
    response = await assessment.client.post(f"{BASE}/systems", headers=h, json=body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{BASE}/systems/{response.json()['id']}"
    assert response.json()["version"] == 2
    assert (await assessment.ok("GET", f"/systems/{DEFAULT_SYSTEM}", h))["version"] == 1
    bad_metric = {**body, "target_kind": "org"}  # registry.member_orgs is an alliance metric
    assert_problem(await assessment.client.post(f"{BASE}/systems", headers=h, json=bad_metric), 422)
    bad_bands = {**body, "grade_bands": {"excellent": 60, "good": 75, "fair": 50}}
    assert_problem(await assessment.client.post(f"{BASE}/systems", headers=h, json=bad_bands), 422)
    dims[0]["indicators"][0]["params"] = {"bands": []}
    assert_problem(await assessment.client.post(f"{BASE}/systems", headers=h, json=body), 422)
    metrics = await assessment.ok("GET", "/metrics", h)
    assert "activity.compliance_rate" in {m["code"] for m in metrics}


async def test_automatic_scores_keep_evidence_equal_to_the_sources_statistics(
    assessment: AssessmentApp,
) -> None:
    cid = await open_default(assessment, [HND, PARK])
    detail = await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", assessment.assessor())
    got = indicators(detail)
    # activity: the same statistics the activity service gives for the alliance and year
    stats = (
        await assessment.sources.activity.get(
            "/api/activity/statistics", params={"period": str(YEAR), "alliance_id": HND}
        )
    ).json()
    compliance = got["compliance.cadence"]
    assert compliance["status"] in ("scored", "no_data")
    assert compliance["value"] == stats["compliance_rate"]
    evidence = compliance["evidence"]
    assert (evidence["source"], evidence["path"]) == ("activity", "/api/activity/statistics/batch")
    assert evidence["params"] == {"period": str(YEAR), "alliance_id": HND}
    assert evidence["value"] == stats["compliance_rate"]
    assert evidence["read_at"]
    if stats["compliance_rate"] is not None:
        expected = min(1.0, max(0.0, (stats["compliance_rate"] - 0.6) / 0.4))
        assert compliance["points"] == round(round(expected, 6) * 10, 4)
    assert got["pioneer.volunteers"]["value"] == stats["volunteer_person_times"]
    # service-requests: the alliance's lead organization's subtree, over the year
    lead = await assessment.sources.registry.get_json(f"/api/registry/alliances/{HND}")
    assert lead is not None
    requests = (
        await assessment.sources.requests.get(
            "/api/service-requests/statistics",
            params={"within": lead["lead_org_id"], "from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"},
        )
    ).json()
    assert got["satisfaction.residents"]["value"] == requests["overall"]["satisfaction_rate"]
    assert got["satisfaction.residents"]["evidence"]["source"] == "service-requests"
    # registry: the alliance's own record
    assert got["coverage.members"]["value"] == lead["member_count"]
    assert got["pioneer.demonstration"]["value"] == 1.0  # 红纽带 is a demonstration site
    assert got["pioneer.demonstration"]["points"] == 4.0
    # manual indicators wait for an assessor: the result is incomplete, never a made-up total
    assert {got[c]["status"] for c in MANUAL_DEFAULTS} == {"pending"}
    assert (detail["result"]["status"], detail["result"]["total"]) == ("incomplete", None)
    assert detail["result"]["unavailable_sources"] == []


async def test_organization_targets_read_the_registry_statistics(
    assessment: AssessmentApp,
) -> None:
    h = assessment.assessor()
    system = await assessment.ok(
        "POST",
        "/systems",
        h,
        json={
            "code": "street-test",
            "name": "街道测试体系",
            "target_kind": "org",
            "grade_bands": {"excellent": 90, "good": 80, "fair": 60},
            "rectification_below": 60,
            "veto_cap": 59,
            "incentive_share": 0.2,
            "appeal_days": 10,
            "dimensions": [
                {
                    "code": "cov",
                    "name": "覆盖",
                    "weight": 50,
                    "indicators": [
                        {
                            "code": "cov.units",
                            "name": "两个覆盖率",
                            "kind": "auto",
                            "max_score": 10,
                            "metric": "registry.unit_coverage_rate",
                            "method": "ratio",
                            "params": {"target": 1.0},
                        }
                    ],
                },
                {
                    "code": "act",
                    "name": "组织生活",
                    "weight": 50,
                    "indicators": [
                        {
                            "code": "act.compliance",
                            "name": "组织生活合规率",
                            "kind": "auto",
                            "max_score": 20,
                            "metric": "activity.compliance_rate",
                            "method": "linear",
                            "params": {"floor": 0.5, "target": 1.0},
                        }
                    ],
                },
            ],
        },
    )
    cycle = await assessment.ok(
        "POST",
        "/cycles",
        h,
        json={
            "name": "街道考核",
            "system_id": system["id"],
            "year": YEAR,
            "within": XINHUA,
            "org_kinds": ["street_working_committee"],
        },
    )
    await assessment.ok("POST", f"/cycles/{cycle['id']}/open", h)
    results = await assessment.ok("GET", f"/cycles/{cycle['id']}/results", h)
    ids = {r["target_id"] for r in results["items"]}
    assert CHAOYANG in ids
    assert all(r["status"] == "complete" for r in results["items"])
    figures = await assessment.sources.registry.get_json(
        "/api/registry/statistics", {"within": CHAOYANG, "on": f"{YEAR}-12-31"}
    )
    assert figures is not None
    rate = figures["unit_coverage"]["overall_rate"]
    activity = (
        await assessment.sources.activity.get(
            "/api/activity/statistics", params={"period": str(YEAR), "within": CHAOYANG}
        )
    ).json()
    compliance = activity["compliance_rate"]
    assert compliance is not None
    assert compliance > 0  # the demo city's branches hold their meetings
    chaoyang = next(r for r in results["items"] if r["target_id"] == CHAOYANG)
    coverage_points = 50 * min(rate, 1.0)
    compliance_points = 50 * min(1.0, max(0.0, (compliance - 0.5) / 0.5))
    assert chaoyang["total"] == pytest.approx(coverage_points + compliance_points, abs=0.01)
    detail = await assessment.ok("GET", f"/cycles/{cycle['id']}/targets/{CHAOYANG}", h)
    evidence = indicators(detail)["act.compliance"]["evidence"]
    assert evidence["params"] == {"period": str(YEAR), "within": CHAOYANG}
    assert evidence["value"] == compliance
    ranks = sorted(r["rank"] for r in results["items"])
    assert ranks[0] == 1


async def test_a_source_down_marks_its_indicators_unavailable_then_recompute_restores(
    assessment: AssessmentApp,
) -> None:
    real = assessment.sources
    down = sources_down(assessment.keys, registry=real.registry)
    try:
        assessment.use_sources(down)
        cid = await open_default(assessment, [HND])
        detail = await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", assessment.assessor())
        got = indicators(detail)
        assert detail["result"]["unavailable_sources"] == ["activity", "service-requests"]
        for code in (
            "compliance.cadence",
            "team.attendance",
            "satisfaction.residents",
            "service.on_time",
            "duties.lectures",
        ):
            assert got[code]["status"] == "unavailable"
            assert got[code]["points"] is None  # never zero
            assert got[code]["evidence"]["error"]
            assert "不计为零分" in got[code]["explanation"]
        assert got["coverage.members"]["status"] == "scored"  # the registry answered
        assert (detail["result"]["status"], detail["result"]["total"]) == ("incomplete", None)
        assessment.use_sources(real)
        await assessment.ok("POST", f"/cycles/{cid}/recompute", assessment.assessor())
        again = await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", assessment.assessor())
        assert again["result"]["unavailable_sources"] == []
        assert indicators(again)["compliance.cadence"]["status"] in ("scored", "no_data")
    finally:
        await down.activity.aclose()
        await down.requests.aclose()


async def test_the_registry_down_at_opening_is_a_503_and_the_cycle_stays_draft(
    assessment: AssessmentApp,
) -> None:
    h = assessment.assessor()
    cycle = await assessment.ok(
        "POST",
        "/cycles",
        h,
        json={"name": "全市联合体", "system_id": DEFAULT_SYSTEM, "year": YEAR},
    )
    real, down = assessment.sources, sources_down(assessment.keys)
    try:
        assessment.use_sources(down)
        assert_problem(
            await assessment.client.post(f"{BASE}/cycles/{cycle['id']}/open", headers=h), 503
        )
    finally:
        assessment.use_sources(real)
        await down.aclose()
    assert (await assessment.ok("GET", f"/cycles/{cycle['id']}", h))["status"] == "draft"


async def test_a_finalized_cycle_is_frozen_when_the_sources_change(
    assessment: AssessmentApp,
) -> None:
    h = assessment.assessor()
    cid = await open_default(assessment, [HND, PARK])
    system = await assessment.ok("GET", f"/systems/{DEFAULT_SYSTEM}", h)
    manual = {
        i["code"]: i for d in system["dimensions"] for i in d["indicators"] if i["kind"] == "manual"
    }
    for target in (HND, PARK):
        for code, ind in manual.items():
            await assessment.ok(
                "PUT",
                f"/cycles/{cid}/targets/{target}/scores/{ind['id']}",
                h,
                json={"score": ind["max_score"], "note": f"{code} 材料齐全"},
            )
    results = await assessment.ok("GET", f"/cycles/{cid}/results", h)
    assert {r["status"] for r in results["items"]} == {"complete"}
    await assessment.ok("POST", f"/cycles/{cid}/finalize", h)
    frozen = await assessment.ok("GET", f"/cycles/{cid}/results", h)
    detail = await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", h)
    real, down = assessment.sources, sources_down(assessment.keys)
    try:
        assessment.use_sources(down)  # every source now answers differently: not at all
        assert_problem(
            await assessment.client.post(f"{BASE}/cycles/{cid}/recompute", headers=h), 409
        )
        assert await assessment.ok("GET", f"/cycles/{cid}/results", h) == frozen
        assert await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", h) == detail
    finally:
        assessment.use_sources(real)
        await down.aclose()
