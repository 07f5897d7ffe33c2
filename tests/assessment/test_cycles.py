"""Cycles on a small constructed system (manual indicators and a veto): scores, grades, ranks
with ties, the lists, the state machine, refusals (that change nothing), feedback and appeals."""

from __future__ import annotations

from typing import Any

from tests.assessment.conftest import (
    BASE,
    CHAOYANG,
    HEPING,
    HND,
    PARK,
    XINHUA,
    AssessmentApp,
    assert_problem,
)
from tests.support.assessment_upstreams import sources_down, writable_registry
from zhdj_assessment.sources import Sources
from zhdj_shared.db import Database

LIULIN = "demo-a-liulin-villages"
TARGETS = [HND, PARK, HEPING, LIULIN]


def small_system(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "test-small",
        "name": "测试体系",
        "target_kind": "alliance",
        "grade_bands": {"excellent": 90, "good": 80, "fair": 60},
        "rectification_below": 60,
        "veto_cap": 59,
        "incentive_share": 0.25,
        "appeal_days": 10,
        "dimensions": [
            {
                "code": "a",
                "name": "甲",
                "weight": 60,
                "indicators": [{"code": "m1", "name": "甲一", "kind": "manual", "max_score": 10}],
            },
            {
                "code": "b",
                "name": "乙",
                "weight": 40,
                "indicators": [{"code": "m2", "name": "乙一", "kind": "manual", "max_score": 5}],
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
    body.update(overrides)
    return body


async def make_system(app: AssessmentApp) -> dict[str, str]:
    """The small system; returns indicator ids by code (plus "system")."""
    body = await app.ok("POST", "/systems", app.assessor(), json=small_system())
    ids = {i["code"]: i["id"] for d in body["dimensions"] for i in d["indicators"]}
    return {**ids, "system": body["id"]}


async def open_cycle(app: AssessmentApp, ids: dict[str, str]) -> str:
    cycle = await app.ok(
        "POST",
        "/cycles",
        app.assessor(),
        json={
            "name": "2025 年度考核",
            "system_id": ids["system"],
            "year": 2025,
            "target_ids": TARGETS,
        },
    )
    await app.ok("POST", f"/cycles/{cycle['id']}/open", app.assessor())
    return str(cycle["id"])


# m1 (of 10, dimension weight 60), m2 (of 5, weight 40), veto v (1 pass, 0 fail)
HAND = {
    HND: (10, 5, 1),  # 60 + 40 = 100 → 优秀, rank 1, incentive
    PARK: (8, 4, 1),  # 48 + 32 = 80 → 良好, rank 2
    HEPING: (10, 2.5, 1),  # 60 + 20 = 80 → 良好, rank 2 (tie)
    LIULIN: (10, 5, 0),  # 100 capped at 59 by the veto → 较差, rank 4, rectification
}


async def score_all(app: AssessmentApp, cycle_id: str, ids: dict[str, str]) -> None:
    for target, values in HAND.items():
        for code, value in zip(("m1", "m2", "v"), values, strict=True):
            await app.ok(
                "PUT",
                f"/cycles/{cycle_id}/targets/{target}/scores/{ids[code]}",
                app.assessor(),
                json={"score": value, "note": f"现场检查记录 {code}", "attachments": ["f-1"]},
            )


async def test_scores_grades_ranks_ties_veto_and_lists_equal_hand_computed_values(
    assessment: AssessmentApp,
) -> None:
    ids = await make_system(assessment)
    cycle_id = await open_cycle(assessment, ids)
    before = await assessment.ok("GET", f"/cycles/{cycle_id}/results", assessment.assessor())
    assert {r["status"] for r in before["items"]} == {"incomplete"}
    assert {r["total"] for r in before["items"]} == {None}
    await score_all(assessment, cycle_id, ids)
    body = await assessment.ok("GET", f"/cycles/{cycle_id}/results", assessment.assessor())
    got = {r["target_id"]: (r["total"], r["grade_label"], r["rank"]) for r in body["items"]}
    assert got == {
        HND: (100.0, "优秀", 1),
        PARK: (80.0, "良好", 2),
        HEPING: (80.0, "良好", 2),
        LIULIN: (59.0, "较差", 4),
    }
    assert body["items"][0]["target_id"] == HND
    assert body["rectification"] == [LIULIN]
    assert body["incentive"] == [HND]
    liulin = next(r for r in body["items"] if r["target_id"] == LIULIN)
    assert (liulin["vetoed"], liulin["known_points"]) == (True, 100.0)


async def test_the_state_machine_refuses_illegal_transitions(assessment: AssessmentApp) -> None:
    ids = await make_system(assessment)
    cycle = await assessment.ok(
        "POST",
        "/cycles",
        assessment.assessor(),
        json={
            "name": "Q1",
            "system_id": ids["system"],
            "year": 2026,
            "quarter": 1,
            "target_ids": TARGETS,
        },
    )
    cid, h = cycle["id"], assessment.assessor()
    assert (cycle["status"], cycle["period"]) == ("draft", "2026-Q1")
    for action in ("recompute", "finalize", "publish"):
        assert_problem(
            await assessment.client.post(f"{BASE}/cycles/{cid}/{action}", headers=h), 409
        )
    await assessment.ok("POST", f"/cycles/{cid}/open", h)
    assert_problem(await assessment.client.post(f"{BASE}/cycles/{cid}/open", headers=h), 409)
    # incomplete results (unscored manual indicators) cannot be finalized
    problem = assert_problem(
        await assessment.client.post(f"{BASE}/cycles/{cid}/finalize", headers=h), 409
    )
    assert "incomplete" in problem["detail"]
    assert (await assessment.ok("GET", f"/cycles/{cid}", h))["status"] == "open"
    await score_all(assessment, cid, ids)
    assert (await assessment.ok("POST", f"/cycles/{cid}/finalize", h))["status"] == "finalized"
    frozen = await assessment.ok("GET", f"/cycles/{cid}/results", h)
    # frozen: no recompute, no score
    assert_problem(await assessment.client.post(f"{BASE}/cycles/{cid}/recompute", headers=h), 409)
    assert_problem(
        await assessment.client.put(
            f"{BASE}/cycles/{cid}/targets/{HND}/scores/{ids['m1']}",
            headers=h,
            json={"score": 1, "note": "改分"},
        ),
        409,
    )
    assert_problem(await assessment.client.post(f"{BASE}/cycles/{cid}/open", headers=h), 409)
    assert await assessment.ok("GET", f"/cycles/{cid}/results", h) == frozen
    published = await assessment.ok("POST", f"/cycles/{cid}/publish", h)
    assert published["status"] == "published"
    assert published["published_at"] is not None
    assert_problem(await assessment.client.post(f"{BASE}/cycles/{cid}/publish", headers=h), 409)


async def test_manual_scores_are_checked(assessment: AssessmentApp) -> None:
    ids = await make_system(assessment)
    cid = await open_cycle(assessment, ids)
    h = assessment.assessor()
    url = f"{BASE}/cycles/{cid}/targets/{HND}/scores"
    assert_problem(
        await assessment.client.put(
            f"{url}/{ids['m1']}", headers=h, json={"score": 11, "note": "超"}
        ),
        422,
    )
    assert_problem(
        await assessment.client.put(f"{url}/{ids['m1']}", headers=h, json={"score": 5}), 422
    )  # evidence required
    assert_problem(
        await assessment.client.put(f"{url}/nope", headers=h, json={"score": 1, "note": "记录"}),
        404,
    )
    other = f"{BASE}/cycles/{cid}/targets/demo-a-unknown/scores/{ids['m1']}"
    assert_problem(
        await assessment.client.put(other, headers=h, json={"score": 1, "note": "记录"}), 404
    )
    body = await assessment.ok(
        "PUT",
        f"/cycles/{cid}/targets/{HND}/scores/{ids['m1']}",
        h,
        json={"score": 7.5, "note": "班子会议记录齐全", "attachments": ["doc-1"]},
    )
    assert (body["status"], body["points"], body["fraction"]) == ("scored", 7.5, 0.75)
    assert body["evidence"] == {"note": "班子会议记录齐全", "attachments": ["doc-1"]}
    assert body["scored_by"] == "assessor-1"


async def test_only_assessors_manage_and_refused_writes_change_nothing(
    assessment: AssessmentApp,
) -> None:
    ids = await make_system(assessment)
    cid = await open_cycle(assessment, ids)
    h = assessment.assessor()
    systems_before = await assessment.ok("GET", "/systems", h)
    for who in (assessment.staff(CHAOYANG), assessment.member(), assessment.staff(XINHUA)):
        assert_problem(
            await assessment.client.post(f"{BASE}/systems", headers=who, json=small_system()), 403
        )
        assert_problem(
            await assessment.client.post(
                f"{BASE}/cycles",
                headers=who,
                json={"name": "x", "system_id": ids["system"], "year": 2025},
            ),
            403,
        )
        for action in ("recompute", "finalize"):
            assert_problem(
                await assessment.client.post(f"{BASE}/cycles/{cid}/{action}", headers=who), 403
            )
        assert_problem(
            await assessment.client.put(
                f"{BASE}/cycles/{cid}/targets/{HND}/scores/{ids['m1']}",
                headers=who,
                json={"score": 10, "note": "自评满分"},
            ),
            403,
        )
        # an open cycle's results are the assessors' only
        assert_problem(
            await assessment.client.get(f"{BASE}/cycles/{cid}/targets/{HND}", headers=who), 403
        )
    assert await assessment.ok("GET", "/systems", h) == systems_before
    detail = await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", h)
    statuses = {i["code"]: i["status"] for d in detail["dimensions"] for i in d["indicators"]}
    assert statuses == {"m1": "pending", "m2": "pending", "v": "pending"}
    assert (await assessment.ok("GET", f"/cycles/{cid}", h))["status"] == "open"
    # a token without the write scope is refused even for an assessor
    read_only = assessment.keys.bearer(sub="a-2", roles=["assessor"], scope="assessment:read")
    assert_problem(
        await assessment.client.post(f"{BASE}/cycles/{cid}/recompute", headers=read_only), 403
    )
    assert_problem(await assessment.client.get(f"{BASE}/cycles"), 401)
    # the admin manages too
    assert (await assessment.ok("POST", f"/cycles/{cid}/recompute", assessment.admin()))[
        "status"
    ] == "open"


async def published(app: AssessmentApp) -> tuple[str, dict[str, str]]:
    ids = await make_system(app)
    cid = await open_cycle(app, ids)
    await score_all(app, cid, ids)
    await app.ok("POST", f"/cycles/{cid}/finalize", app.assessor())
    await app.ok("POST", f"/cycles/{cid}/publish", app.assessor())
    return cid, ids


async def test_a_target_sees_only_its_own_published_result_with_explanations(
    assessment: AssessmentApp,
) -> None:
    ids = await make_system(assessment)
    cid = await open_cycle(assessment, ids)
    await score_all(assessment, cid, ids)
    await assessment.ok("POST", f"/cycles/{cid}/finalize", assessment.assessor())
    chaoyang_staff = assessment.staff(CHAOYANG)  # leads 红纽带 (HND)
    # finalized, not published: nothing yet for the target
    assert_problem(
        await assessment.client.get(f"{BASE}/cycles/{cid}/targets/{HND}", headers=chaoyang_staff),
        403,
    )
    assert_problem(await assessment.client.get(f"{BASE}/cycles/{cid}", headers=chaoyang_staff), 404)
    await assessment.ok("POST", f"/cycles/{cid}/publish", assessment.assessor())
    own = await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", chaoyang_staff)
    assert (own["result"]["total"], own["result"]["grade_label"]) == (100.0, "优秀")
    m1 = next(i for d in own["dimensions"] for i in d["indicators"] if i["code"] == "m1")
    assert m1["explanation"] == "考核人员评分，得分 10/10。依据：现场检查记录 m1"
    assert own["appeal_until"] is not None
    # an ancestor's staff (新华区) sees it too; another organization's staff does not
    await assessment.ok("GET", f"/cycles/{cid}/targets/{HND}", assessment.staff(XINHUA))
    assert_problem(
        await assessment.client.get(f"{BASE}/cycles/{cid}/targets/{PARK}", headers=chaoyang_staff),
        403,
    )
    assert_problem(
        await assessment.client.get(
            f"{BASE}/cycles/{cid}/targets/{HND}", headers=assessment.staff("demo-d-qinghe")
        ),
        403,
    )
    # the published ranking is visible to organizations in scope, not to others
    ranking = await assessment.ok("GET", f"/cycles/{cid}/results", chaoyang_staff)
    assert len(ranking["items"]) == 4
    assert_problem(
        await assessment.client.get(f"{BASE}/cycles/{cid}/results", headers=assessment.member()),
        403,
    )
    vetoed = await assessment.ok("GET", f"/cycles/{cid}/targets/{LIULIN}", assessment.assessor())
    v = next(i for d in vetoed["dimensions"] for i in d["indicators"] if i["code"] == "v")
    assert v["veto_failed"] is True
    assert "一票否决" in v["explanation"]


async def test_appeals_are_answered_and_a_change_is_recorded_with_its_reason(
    assessment: AssessmentApp,
) -> None:
    cid, ids = await published(assessment)
    heping = await assessment.sources.registry.get_json(f"/api/registry/alliances/{HEPING}")
    assert heping is not None
    heping_lead = heping["lead_org_id"]
    staff = assessment.staff(heping_lead)
    url = f"{BASE}/cycles/{cid}/targets/{HEPING}/appeals"
    # another target's staff may not appeal for it; assessors answer, they do not appeal
    assert_problem(
        await assessment.client.post(
            url, headers=assessment.staff("demo-d-qinghe"), json={"reason": "不服"}
        ),
        403,
    )
    appeal = await assessment.ok(
        "POST",
        f"/cycles/{cid}/targets/{HEPING}/appeals",
        staff,
        json={"indicator_id": ids["m2"], "reason": "联建项目材料漏报，补充后应得满分"},
    )
    assert appeal["status"] == "open"
    # the target's staff cannot answer its own appeal
    assert_problem(
        await assessment.client.post(
            f"{BASE}/appeals/{appeal['id']}/answer",
            headers=staff,
            json={"answer": "自己改分", "new_score": 5},
        ),
        403,
    )
    answered = await assessment.ok(
        "POST",
        f"/appeals/{appeal['id']}/answer",
        assessment.assessor(),
        json={"answer": "经复核补充材料属实，改为 5 分", "new_score": 5},
    )
    assert (answered["status"], answered["answered_by"]) == ("answered", "assessor-1")
    assert_problem(
        await assessment.client.post(
            f"{BASE}/appeals/{appeal['id']}/answer",
            headers=assessment.assessor(),
            json={"answer": "再答一次"},
        ),
        409,
    )
    own = await assessment.ok("GET", f"/cycles/{cid}/targets/{HEPING}", staff)
    assert own["result"]["total"] == 100.0  # 60 + 40
    assert own["changes"][0]["old_points"] == 2.5
    assert own["changes"][0]["new_points"] == 5
    assert own["changes"][0]["reason"] == "经复核补充材料属实，改为 5 分"
    assert own["appeals"][0]["answer"] == "经复核补充材料属实，改为 5 分"
    ranking = await assessment.ok("GET", f"/cycles/{cid}/results", assessment.assessor())
    ranks = {r["target_id"]: r["rank"] for r in ranking["items"]}
    assert ranks == {HND: 1, HEPING: 1, PARK: 3, LIULIN: 4}
    listed = await assessment.ok("GET", f"/cycles/{cid}/appeals", assessment.assessor())
    assert [a["id"] for a in listed["items"]] == [appeal["id"]]


async def test_appeals_only_on_a_published_result_within_the_days(
    assessment: AssessmentApp,
) -> None:
    from datetime import timedelta

    from sqlmodel import select

    from zhdj_assessment.models import Cycle

    ids = await make_system(assessment)
    cid = await open_cycle(assessment, ids)
    staff = assessment.staff(CHAOYANG)
    url = f"{BASE}/cycles/{cid}/targets/{HND}/appeals"
    # not published: the target does not see it, so cannot appeal
    assert_problem(await assessment.client.post(url, headers=staff, json={"reason": "不服"}), 403)
    await score_all(assessment, cid, ids)
    await assessment.ok("POST", f"/cycles/{cid}/finalize", assessment.assessor())
    await assessment.ok("POST", f"/cycles/{cid}/publish", assessment.assessor())
    async with assessment.db.session() as session:
        cycle = (await session.exec(select(Cycle).where(Cycle.id == cid))).one()
        assert cycle.published_at is not None
        cycle.published_at = cycle.published_at - timedelta(days=11)  # appeal_days is 10
    assert_problem(await assessment.client.post(url, headers=staff, json={"reason": "不服"}), 409)


async def test_the_rectification_list_sets_the_alliances_status_in_the_registry(
    assessment: AssessmentApp, registry_demo_database: Database
) -> None:
    cid, _ids = await published(assessment)
    url = f"{BASE}/cycles/{cid}/rectification"
    assert_problem(await assessment.client.post(url, headers=assessment.staff(CHAOYANG)), 403)
    real = assessment.sources
    async with writable_registry(registry_demo_database, assessment.keys) as registry:
        # the registry down first: nothing set, retry later
        down = sources_down(assessment.keys)
        try:
            assessment.use_sources(down)
            first = await assessment.ok(
                "POST", f"/cycles/{cid}/rectification", assessment.assessor()
            )
        finally:
            await down.aclose()
        assert [(r["target_id"], r["outcome"]) for r in first] == [(LIULIN, "unavailable")]
        assessment.use_sources(Sources(registry, real.activity, real.requests))
        try:
            applied = await assessment.ok(
                "POST", f"/cycles/{cid}/rectification", assessment.assessor()
            )
            again = await assessment.ok(
                "POST", f"/cycles/{cid}/rectification", assessment.assessor()
            )
            alliance = await registry.get_json(f"/api/registry/alliances/{LIULIN}")
            history = await registry.get_json(f"/api/registry/alliances/{LIULIN}/status-history")
            untouched = await registry.get_json(f"/api/registry/alliances/{PARK}")
        finally:
            assessment.use_sources(real)
    assert [(r["target_id"], r["outcome"]) for r in applied] == [(LIULIN, "set")]
    assert applied[0]["registry_status"] == "under_rectification"
    assert [r["outcome"] for r in again] == ["already_set"]
    assert alliance is not None
    assert history is not None
    assert untouched is not None
    assert alliance["status"] == "under_rectification"
    assert alliance["status_reason"] == "“2025 年度考核”结果：59 分（较差），一票否决，列入规范整顿"
    assert history[-1]["changed_by"] == "svc-assessment"
    assert untouched["status"] == "active"
    results = await assessment.ok("GET", f"/cycles/{cid}/results", assessment.assessor())
    assert {r["target_id"]: r["registry_status"] for r in results["items"]}[LIULIN] == (
        "under_rectification"
    )


async def test_rectification_needs_a_published_cycle(assessment: AssessmentApp) -> None:
    ids = await make_system(assessment)
    cid = await open_cycle(assessment, ids)
    assert_problem(
        await assessment.client.post(
            f"{BASE}/cycles/{cid}/rectification", headers=assessment.assessor()
        ),
        409,
    )


async def test_cycles_are_listed_by_pages_and_others_see_published_ones_only(
    assessment: AssessmentApp,
) -> None:
    cid, ids = await published(assessment)
    h = assessment.assessor()
    draft = await assessment.ok(
        "POST",
        "/cycles",
        h,
        json={"name": "草稿", "system_id": ids["system"], "year": 2026, "target_ids": [HND]},
    )
    first = await assessment.ok("GET", "/cycles?limit=1", h)
    assert [c["id"] for c in first["items"]] == [draft["id"]]  # newest first
    second = await assessment.ok("GET", f"/cycles?limit=1&cursor={first['next_cursor']}", h)
    assert cid in [c["id"] for c in second["items"]]
    staff = await assessment.ok("GET", "/cycles?limit=200", assessment.staff(CHAOYANG))
    assert cid in [c["id"] for c in staff["items"]]
    assert draft["id"] not in [c["id"] for c in staff["items"]]
    assert_problem(await assessment.client.get(f"{BASE}/cycles?cursor=nonsense", headers=h), 422)
    systems = await assessment.ok("GET", "/systems?limit=1", h)
    assert len(systems["items"]) == 1
    assert systems["next_cursor"] is not None
    rest = await assessment.ok("GET", f"/systems?cursor={systems['next_cursor']}", h)
    assert ids["system"] in [s["id"] for s in rest["items"]] + [systems["items"][0]["id"]]
