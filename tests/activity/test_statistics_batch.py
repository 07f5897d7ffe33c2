"""POST /statistics/batch: every item equals the single GET /statistics (and, for alliances,
GET .../secretary-lectures?year=) for the same scope; one registry call for all the alliances of
a batch; per-item refusals and unknown scopes; limits and bad bodies; the registry down is 503.

The constructed history is the one of test_compliance (a branch's 2025, an alliance's joint
visit and a secretary's lecture) on top of the demo registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.activity.conftest import (
    BASE,
    BRANCH,
    C1,
    CHAOYANG,
    XINHUA,
    ActivityApp,
    assert_problem,
    serve_activity,
)
from tests.activity.test_compliance import ALLIANCE, _held, _history
from tests.support.tokens import TestKeys
from tests.support.upstreams import CountingTransport, registry_app, registry_upstream
from zhdj_shared.db import Database
from zhdj_shared.registry_client import ALLIANCE_LOOKUPS, ORGANIZATION_LOOKUPS

BATCH = f"{BASE}/statistics/batch"
LOOKUPS = ALLIANCE_LOOKUPS
PARK = "demo-a-park-xinhua"
LIULIN = "demo-a-liulin-villages"  # led in 清河区
DONGCHENG = "demo-d-dongcheng"
SCOPES: list[dict[str, str]] = [
    {"alliance_id": ALLIANCE},
    {"within": CHAOYANG},
    {"org_id": BRANCH},
    {"alliance_id": PARK},
    {"within": XINHUA},
    {"org_id": C1},
    {"alliance_id": LIULIN},
    {"alliance_id": ALLIANCE},  # a duplicate: answered again, the same
]


async def constructed(app: ActivityApp) -> None:
    await _history(app)
    await _held(
        app, "visit_exchange", "2025-05-10", partners=[{"kind": "alliance", "id": ALLIANCE}]
    )
    check = await app.client.get(
        f"{BASE}/compliance/alliances/{ALLIANCE}/secretary-lectures",
        params={"year": 2025},
        headers=app.service(),
    )
    secretary = next(m for m in check.json()["members"] if m["secretary_id"])
    await _held(
        app,
        "party_lecture",
        "2025-06-12",
        owner=ALLIANCE,
        lecturer_member_id=secretary["secretary_id"],
    )


async def batch(app: ActivityApp, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = await app.client.post(BATCH, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("period", ["2025", "2025-Q2", "2025-05"])
async def test_batch_items_equal_the_single_reads(activity: ActivityApp, period: str) -> None:
    await constructed(activity)
    service = activity.service()
    body = await batch(
        activity, {"period": period, "scopes": SCOPES, "secretary_lectures": True}, service
    )
    assert (body["period"], len(body["items"])) == (period, len(SCOPES))
    year = int(period[:4])
    lectured = 0
    for item, scope in zip(body["items"], SCOPES, strict=True):
        assert item["scope"] == {"alliance_id": None, "within": None, "org_id": None, **scope}
        assert item["problem"] is None
        single = await activity.client.get(
            f"{BASE}/statistics", params={"period": period, **scope}, headers=service
        )
        assert single.status_code == 200, single.text
        assert item["statistics"] == single.json()
        if "alliance_id" in scope:
            check = await activity.client.get(
                f"{BASE}/compliance/alliances/{scope['alliance_id']}/secretary-lectures",
                params={"year": year},
                headers=service,
            )
            assert item["secretary_lectures"] == check.json()
            lectured += sum(m["lectures"] for m in check.json()["members"])
        else:
            assert item["secretary_lectures"] is None
    assert lectured >= 2  # the constructed lecture counted (twice: a duplicate scope)
    figures = {i["statistics"]["scope"]: i["statistics"] for i in body["items"]}
    assert figures[f"alliance:{ALLIANCE}"]["activities"] >= 1  # something to compare
    assert figures[f"org:{BRANCH}"]["activities"] >= 1
    without = await batch(activity, {"period": period, "scopes": SCOPES[:1]}, service)
    assert without["items"][0]["secretary_lectures"] is None
    assert without["items"][0]["statistics"] == body["items"][0]["statistics"]


async def test_unknown_scopes_are_their_items_404_and_the_rest_is_answered(
    activity: ActivityApp,
) -> None:
    scopes = [
        {"alliance_id": "不存在的联合体"},
        {"within": "no-such-org"},
        {"org_id": "a/b?c"},
        {"alliance_id": ALLIANCE},
    ]
    body = await batch(activity, {"period": "2025", "scopes": scopes}, activity.admin())
    for item, scope in zip(body["items"][:3], scopes, strict=False):
        assert item["statistics"] is None
        assert item["problem"]["status"] == 404, item
        single = await activity.client.get(
            f"{BASE}/statistics", params={"period": "2025", **scope}, headers=activity.admin()
        )
        assert_problem(single, 404)
    assert body["items"][3]["statistics"]["scope"] == f"alliance:{ALLIANCE}"


async def test_staff_get_their_own_scopes_and_a_403_item_for_another_district(
    activity: ActivityApp,
) -> None:
    staff = activity.staff(DONGCHENG)
    scopes = [{"within": DONGCHENG}, {"alliance_id": ALLIANCE}, {"within": XINHUA}]
    body = await batch(activity, {"period": "2025", "scopes": scopes}, staff)
    own, alliance, other = body["items"]
    assert own["statistics"]["scope"] == f"within:{DONGCHENG}"
    for refused, scope in ((alliance, scopes[1]), (other, scopes[2])):
        assert refused["statistics"] is None
        assert refused["problem"]["status"] == 403
        single = await activity.client.get(
            f"{BASE}/statistics", params={"period": "2025", **scope}, headers=staff
        )
        assert_problem(single, 403)  # as the single read refuses it
    for everything in (
        activity.admin(),
        activity.service(),
        activity.keys.bearer(sub="assessor-1", roles=["assessor"]),
    ):
        answered = await batch(activity, {"period": "2025", "scopes": scopes}, everything)
        assert [i["problem"] for i in answered["items"]] == [None, None, None]


async def test_callers_without_activity_read_are_refused(activity: ActivityApp) -> None:
    body = {"period": "2025", "scopes": [{"within": XINHUA}]}
    assert_problem(await activity.client.post(BATCH, json=body), 401)
    resident = activity.keys.bearer(
        sub="demo-user-resident-zhang",
        roles=["resident"],
        scope="registry:read requests:read requests:write",
    )
    assert_problem(await activity.client.post(BATCH, json=body, headers=resident), 403)
    no_scope = activity.keys.bearer(
        sub="svc", kind="client", roles=["service"], scope="registry:read"
    )
    assert_problem(await activity.client.post(BATCH, json=body, headers=no_scope), 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2025", "scopes": [{"within": XINHUA}] * 201}, "scopes"),
        ({"period": "2025", "scopes": [{"within": XINHUA, "org_id": BRANCH}]}, "scopes.0"),
        ({"period": "2025", "scopes": [{"within": XINHUA}, {}]}, "scopes.1"),
        ({"period": "2025", "scopes": [{"within": ""}]}, "scopes.0.within"),
        ({"period": "2025", "scopes": [{"party": XINHUA}]}, "scopes.0.party"),
        ({"period": "2025-Q5", "scopes": []}, "period"),
        ({"period": "0999", "scopes": []}, "period"),
        ({"scopes": []}, "period"),
        ({"period": "2025"}, "scopes"),
        ({"period": "2025", "scopes": [], "extra": 1}, "extra"),
        ({"period": "2025", "scopes": "demo-d-xinhua"}, "scopes"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    activity: ActivityApp, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(
        await activity.client.post(BATCH, json=body, headers=activity.service()), 422
    )
    assert field in [e["field"] for e in problem["errors"]], problem


async def test_an_empty_batch_is_an_empty_answer(activity: ActivityApp) -> None:
    body = await batch(activity, {"period": "2025-Q1", "scopes": []}, activity.service())
    assert (body["items"], body["period_start"], body["period_end"]) == (
        [],
        "2025-01-01",
        "2025-03-31",
    )


@pytest.fixture
async def counted(
    activity_database: Database,
    registry_demo_database: Database,
    keys: TestKeys,
    tmp_path: Path,
) -> AsyncIterator[tuple[ActivityApp, CountingTransport]]:
    """The activity app whose registry calls are counted where they arrive."""
    transport = CountingTransport(registry_app(registry_demo_database, keys))
    async with (
        registry_upstream(registry_demo_database, keys, transport=transport) as registry,
        serve_activity(activity_database, keys, registry, tmp_path / "blobs") as app,
    ):
        yield app, transport


async def test_all_the_alliances_of_a_batch_are_one_registry_call(
    counted: tuple[ActivityApp, CountingTransport],
) -> None:
    app, transport = counted
    alliances = [
        ALLIANCE,
        PARK,
        LIULIN,
        "demo-a-heping-central",
        "demo-a-agri-industry",
        "demo-a-xinhua-streets",
    ]
    scopes = [{"alliance_id": a} for a in alliances] + [{"org_id": BRANCH}, {"org_id": C1}]
    body = await batch(
        app, {"period": "2025", "scopes": scopes, "secretary_lectures": True}, app.service()
    )
    assert all(i["problem"] is None for i in body["items"])
    assert all(i["secretary_lectures"] for i in body["items"][: len(alliances)])
    assert dict(transport.calls) == {("POST", LOOKUPS): 1, ("POST", ORGANIZATION_LOOKUPS): 1}
    # the single reads of one alliance: one registry call each (was 2 + one per member)
    transport.calls.clear()
    lectures = await app.client.get(
        f"{BASE}/compliance/alliances/{ALLIANCE}/secretary-lectures",
        params={"year": 2025},
        headers=app.service(),
    )
    assert lectures.status_code == 200, lectures.text
    assert len(lectures.json()["members"]) > 2
    statistics = await app.client.get(
        f"{BASE}/statistics",
        params={"period": "2025", "alliance_id": ALLIANCE},
        headers=app.service(),
    )
    assert statistics.status_code == 200, statistics.text
    assert dict(transport.calls) == {("POST", LOOKUPS): 2}


async def test_the_registry_down_fails_the_whole_batch_with_503(
    activity_registry_down: ActivityApp,
) -> None:
    down = activity_registry_down
    for scopes in ([{"alliance_id": ALLIANCE}], [{"org_id": BRANCH}], [{"within": XINHUA}]):
        body = {"period": "2025", "scopes": scopes, "secretary_lectures": True}
        problem = assert_problem(
            await down.client.post(BATCH, json=body, headers=down.service()), 503
        )
        assert "registry" in problem["detail"]
        single = await down.client.get(
            f"{BASE}/statistics", params={"period": "2025", **scopes[0]}, headers=down.service()
        )
        assert_problem(single, 503)
