"""The demo data: a published cycle for last year and an open one for this year over the demo
alliances, built from stored evidence (marked demo; no other service is called), with results
computed by the real rules; loading twice adds nothing."""

from __future__ import annotations

from tests.assessment.conftest import CHAOYANG, HND, AssessmentApp
from tests.support.assessment_upstreams import sources_down
from zhdj_assessment.demo import ALLIANCES, PENDING_THIS_YEAR, VETOED_LAST_YEAR, load_demo
from zhdj_shared.clock import today_in_china


async def test_demo_cycles_are_loaded_once_from_stored_evidence(
    assessment: AssessmentApp,
) -> None:
    # every other service down: the loader must not need them
    assessment.use_sources(sources_down(assessment.keys))
    async with assessment.db.session() as session:
        assert await load_demo(session) == 2
    async with assessment.db.session() as session:
        assert await load_demo(session) == 0  # idempotent
    h = assessment.assessor()
    cycles = (await assessment.ok("GET", "/cycles", h))["items"]
    demo = {c["year"]: c for c in cycles if c["created_by"] == "demo"}
    year = today_in_china().year
    assert (demo[year - 1]["status"], demo[year]["status"]) == ("published", "open")
    last = await assessment.ok("GET", f"/cycles/{demo[year - 1]['id']}/results", h)
    assert len(last["items"]) == len(ALLIANCES)
    assert all(r["status"] == "complete" for r in last["items"])
    assert last["items"][0]["rank"] == 1
    assert VETOED_LAST_YEAR in last["rectification"]
    assert len(last["incentive"]) >= 1
    assert {r["grade"] for r in last["items"]} >= {"excellent", "poor"}
    this = await assessment.ok("GET", f"/cycles/{demo[year]['id']}/results", h)
    incomplete = {r["target_id"] for r in this["items"] if r["status"] == "incomplete"}
    assert incomplete == set(PENDING_THIS_YEAR)
    # the evidence is stored and marked demo; the target's own staff read the published result
    detail = await assessment.ok(
        "GET", f"/cycles/{demo[year - 1]['id']}/targets/{HND}", assessment.staff(CHAOYANG)
    )
    indicators = [i for d in detail["dimensions"] for i in d["indicators"]]
    assert all(i["evidence"]["demo"] is True for i in indicators)
    auto = [i for i in indicators if i["kind"] == "auto"]
    assert auto
    assert all(i["evidence"]["value"] == i["value"] for i in auto)
    assert all(i["explanation"] for i in indicators)
    # the dashboard's overview shows last year's published demo cycle
    overview = await assessment.ok("GET", "/dashboards/overview", h)
    (item,) = overview["items"]
    assert (item["cycle_id"], item["targets"]) == (demo[year - 1]["id"], len(ALLIANCES))
