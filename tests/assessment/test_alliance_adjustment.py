"""A member organization's own result takes its alliance's grade into account: the published
alliance results of the same period move its total by the system's points per grade (the mean
over several alliances), within 0..maximum and under the veto cap; hand-computed values."""

from __future__ import annotations

from typing import Any

from tests.assessment.conftest import HND, PARK, AssessmentApp
from tests.assessment.test_cycles import LIULIN, make_system
from tests.support.assessment_upstreams import sources_down
from zhdj_assessment.sources import Sources

AGRI = "demo-a-agri-industry"
# m1 (of 10, weight 60), m2 (of 5, weight 40), veto v: the alliances' grades
ALLIANCES = {
    HND: (10, 5, 1),  # 100 优秀 → +3
    PARK: (8, 4, 1),  # 80 良好 → +1
    LIULIN: (10, 5, 0),  # 59 (veto) 较差 → -5
    AGRI: (6, 3, 1),  # 36 + 24 = 60 一般 → 0
}
HND_MEMBER = "demo-s-xinhua-chaoyang-hnd"  # 红纽带 only
PARK_MEMBER = "demo-e-hongxing"  # 四链 only
LIULIN_V1 = "demo-t-qinghe-liulin-v1"  # 柳林 (较差) and 农业产业 (一般)
HEPING_C1 = "demo-s-xinhua-heping-c1"  # 和平 (not in the published cycle)
# the organization system: one manual m (of 10, weight 100) and a veto v
ORGS: dict[str, tuple[float, int, dict[str, Any]]] = {
    # m, v → base; adjustment; total, grade, rank
    HND_MEMBER: (9.9, 1, {"base": 99.0, "adj": 3.0, "total": 100.0, "grade": "优秀", "rank": 1}),
    PARK_MEMBER: (7.95, 1, {"base": 79.5, "adj": 1.0, "total": 80.5, "grade": "良好", "rank": 2}),
    LIULIN_V1: (8.2, 1, {"base": 82.0, "adj": -2.5, "total": 79.5, "grade": "一般", "rank": 3}),
    HEPING_C1: (5, 1, {"base": 50.0, "adj": None, "total": 50.0, "grade": "较差", "rank": 4}),
}
TABLE = {"excellent": 3, "good": 1, "fair": 0, "poor": -5}


def org_system() -> dict[str, Any]:
    return {
        "code": "test-org",
        "name": "组织考核",
        "target_kind": "org",
        "grade_bands": {"excellent": 90, "good": 80, "fair": 60},
        "rectification_below": 60,
        "veto_cap": 59,
        "incentive_share": 0.25,
        "appeal_days": 10,
        "alliance_adjustment": TABLE,
        "dimensions": [
            {
                "code": "a",
                "name": "工作",
                "weight": 100,
                "indicators": [
                    {"code": "m", "name": "工作实绩", "kind": "manual", "max_score": 10}
                ],
            },
            {
                "code": "veto",
                "name": "否决",
                "weight": 0,
                "indicators": [
                    {"code": "v", "name": "无违纪", "kind": "manual", "max_score": 1, "veto": True}
                ],
            },
        ],
    }


async def scored_cycle(
    app: AssessmentApp, system: str, targets: dict[str, tuple[float, ...]], codes: list[str]
) -> tuple[str, dict[str, str]]:
    body = await app.ok("GET", f"/systems/{system}", app.assessor())
    ids = {i["code"]: i["id"] for d in body["dimensions"] for i in d["indicators"]}
    cycle = await app.ok(
        "POST",
        "/cycles",
        app.assessor(),
        json={"name": "2025 年度考核", "system_id": system, "year": 2025, "target_ids": [*targets]},
    )
    await app.ok("POST", f"/cycles/{cycle['id']}/open", app.assessor())
    for target, values in targets.items():
        for code, value in zip(codes, values, strict=True):
            await app.ok(
                "PUT",
                f"/cycles/{cycle['id']}/targets/{target}/scores/{ids[code]}",
                app.assessor(),
                json={"score": value, "note": "检查记录"},
            )
    return str(cycle["id"]), ids


async def publish(app: AssessmentApp, cycle_id: str) -> None:
    for action in ("finalize", "publish"):
        await app.ok("POST", f"/cycles/{cycle_id}/{action}", app.assessor())


async def test_member_organizations_results_take_their_alliances_grades_into_account(
    assessment: AssessmentApp,
) -> None:
    h = assessment.assessor()
    alliance_system = (await make_system(assessment))["system"]
    alliances, _ = await scored_cycle(assessment, alliance_system, ALLIANCES, ["m1", "m2", "v"])
    grades = await assessment.ok("GET", f"/cycles/{alliances}/results", h)
    assert {r["target_id"]: r["grade_label"] for r in grades["items"]} == {
        HND: "优秀",
        PARK: "良好",
        LIULIN: "较差",
        AGRI: "一般",
    }
    system = await assessment.ok("POST", "/systems", h, json=org_system())
    assert system["alliance_adjustment"] == TABLE
    org_targets = {k: (m, v) for k, (m, v, _) in ORGS.items()}
    # not yet published: no adjustment applies (the alliance results are not final)
    orgs, _ = await scored_cycle(assessment, system["id"], org_targets, ["m", "v"])
    early = await assessment.ok("GET", f"/cycles/{orgs}/results", h)
    assert {r["target_id"]: r["adjustment"] for r in early["items"]} == dict.fromkeys(ORGS)
    assert {r["target_id"]: r["total"] for r in early["items"]}[PARK_MEMBER] == 79.5
    # published: the organizations' recompute takes the grades
    await publish(assessment, alliances)
    await assessment.ok("POST", f"/cycles/{orgs}/recompute", h)
    body = await assessment.ok("GET", f"/cycles/{orgs}/results", h)
    got = {
        r["target_id"]: {
            "base": r["base_total"],
            "adj": r["adjustment"],
            "total": r["total"],
            "grade": r["grade_label"],
            "rank": r["rank"],
        }
        for r in body["items"]
    }
    assert got == {k: expected for k, (_, _, expected) in ORGS.items()}
    liulin = next(r for r in body["items"] if r["target_id"] == LIULIN_V1)
    assert [(b["alliance_id"], b["grade"], b["points"]) for b in liulin["adjustment_basis"]] == [
        (AGRI, "fair", 0.0),
        (LIULIN, "poor", -5.0),
    ]
    assert {b["cycle_id"] for b in liulin["adjustment_basis"]} == {alliances}
    # the explanation in the organization's own result
    detail = await assessment.ok("GET", f"/cycles/{orgs}/targets/{LIULIN_V1}", h)
    text = detail["adjustment_explanation"]
    assert "较差（-5 分）" in text
    assert "一般（+0 分）" in text
    assert "82 → 79.5" in text
    none = await assessment.ok("GET", f"/cycles/{orgs}/targets/{HEPING_C1}", h)
    assert "不作联合体等次加减分" in none["adjustment_explanation"]
    # frozen with the cycle: finalizing keeps the adjustment
    await assessment.ok("POST", f"/cycles/{orgs}/finalize", h)
    assert await assessment.ok("GET", f"/cycles/{orgs}/results", h) == {
        **body,
        "cycle": (await assessment.ok("GET", f"/cycles/{orgs}/results", h))["cycle"],
    }


async def test_memberships_unreadable_leave_the_organization_incomplete(
    assessment: AssessmentApp, real_sources: Sources
) -> None:
    h = assessment.assessor()
    alliance_system = (await make_system(assessment))["system"]
    alliances, _ = await scored_cycle(
        assessment, alliance_system, {HND: (10, 5, 1)}, ["m1", "m2", "v"]
    )
    await publish(assessment, alliances)
    system = await assessment.ok("POST", "/systems", h, json=org_system())
    orgs, _ = await scored_cycle(assessment, system["id"], {HND_MEMBER: (9, 1)}, ["m", "v"])
    assessment.use_sources(sources_down(assessment.keys, None))
    try:
        await assessment.ok("POST", f"/cycles/{orgs}/recompute", h)
        (row,) = (await assessment.ok("GET", f"/cycles/{orgs}/results", h))["items"]
        assert (row["status"], row["total"], row["adjustment_basis"]) == ("incomplete", None, None)
        assert row["unavailable_sources"] == ["registry"]
    finally:
        assessment.use_sources(real_sources)
    await assessment.ok("POST", f"/cycles/{orgs}/recompute", h)
    (row,) = (await assessment.ok("GET", f"/cycles/{orgs}/results", h))["items"]
    assert (row["status"], row["base_total"], row["adjustment"], row["total"]) == (
        "complete",
        90.0,
        3.0,
        93.0,
    )
