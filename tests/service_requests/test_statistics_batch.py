"""POST /statistics/batch: every item's figures equal the single GET /statistics?within=&from=&to=
`overall` on the demo requests; one registry call for all the scopes' ancestries; per-item
refusals exactly where the single read refuses; limits and bad bodies; the registry down is 503."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.service_requests.conftest import (
    BASE,
    CHAOYANG,
    CHAOYANG_C1,
    HEPING,
    XINHUA,
    RequestsApp,
    serve_requests,
)
from tests.support.tokens import TestKeys
from tests.support.upstreams import (
    CountingTransport,
    registry_app,
    registry_upstream,
    unreachable_registry,
)
from zhdj_service_requests.demo import load_demo
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import Database
from zhdj_shared.registry_client import ORGANIZATION_LOOKUPS

STATS = f"{BASE}/statistics"
BATCH = f"{STATS}/batch"
QINGHE = "demo-d-qinghe"
CITY = "demo-city"
SCOPES = [CITY, XINHUA, CHAOYANG, CHAOYANG_C1, HEPING, QINGHE, CHAOYANG]  # a duplicate


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


async def with_demo(app: RequestsApp) -> None:
    async with app.session() as session:
        await load_demo(session, requests=400)


async def batch(app: RequestsApp, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = await app.client.post(BATCH, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ranges() -> list[dict[str, str]]:
    today = today_in_china()
    return [
        {},
        {"from": (today - timedelta(days=90)).isoformat(), "to": today.isoformat()},
        {"from": (today - timedelta(days=400)).isoformat()},
        {"to": (today - timedelta(days=30)).isoformat()},
    ]


async def test_batch_items_equal_the_single_overall_figures(requests_app: RequestsApp) -> None:
    app = requests_app
    await with_demo(app)
    for days in ranges():
        body = await batch(app, {"within": SCOPES, **days}, app.service())
        assert [i["within"] for i in body["items"]] == SCOPES
        for item in body["items"]:
            single = await app.client.get(
                STATS, params={"within": item["within"], **days}, headers=app.service()
            )
            assert single.status_code == 200, single.text
            assert item["overall"] == single.json()["overall"]
            assert item["problem"] is None
        totals = {i["within"]: i["overall"]["total"] for i in body["items"]}
        assert totals[CITY] >= totals[XINHUA] >= totals[CHAOYANG] >= totals[CHAOYANG_C1]
    everything = await batch(app, {"within": [CITY]}, app.admin())
    assert everything["items"][0]["overall"]["total"] > 100  # the demo requests are counted


async def test_staff_read_their_subtrees_and_get_403_items_elsewhere(
    requests_app: RequestsApp,
) -> None:
    app = requests_app
    await with_demo(app)
    staff = app.staff(HEPING)
    body = await batch(app, {"within": [HEPING, CHAOYANG, XINHUA]}, staff)
    own, *others = body["items"]
    single = await app.client.get(STATS, params={"within": HEPING}, headers=staff)
    assert own["overall"] == single.json()["overall"]
    for item in others:
        assert (item["overall"], item["problem"]["status"]) == (None, 403)
        refused = await app.client.get(STATS, params={"within": item["within"]}, headers=staff)
        assert_problem(refused, 403)
    for caller in (app.resident(), app.third_party()):  # never by subtree, as the single read
        answered = await batch(app, {"within": [CHAOYANG_C1]}, caller)
        assert answered["items"][0]["problem"]["status"] == 403
        assert_problem(
            await app.client.get(STATS, params={"within": CHAOYANG_C1}, headers=caller), 403
        )
    no_scope = app.keys.bearer(sub="svc", kind="client", roles=["service"], scope="activity:read")
    assert_problem(await app.client.post(BATCH, json={"within": [CITY]}, headers=no_scope), 403)
    assert_problem(await app.client.post(BATCH, json={"within": [CITY]}), 401)


async def test_unknown_organizations_are_their_items_problem_as_the_single_422(
    requests_app: RequestsApp,
) -> None:
    app = requests_app
    body = await batch(app, {"within": ["no-such-org", CHAOYANG, "a/b"]}, app.admin())
    unknown, known, odd = body["items"]
    assert (unknown["problem"]["status"], odd["problem"]["status"]) == (422, 422)
    assert known["overall"]["total"] == 0  # no requests loaded: zeros, not a problem
    single = await app.client.get(STATS, params={"within": "no-such-org"}, headers=app.admin())
    assert_problem(single, 422)
    empty = await batch(app, {"within": []}, app.service())
    assert empty["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"within": [f"o{i}" for i in range(201)]}, "within"),
        ({"within": [""]}, "within.0"),
        ({"within": ["x" * 65]}, "within.0"),
        ({"within": CHAOYANG}, "within"),
        ({}, "within"),
        ({"within": [], "from": "2026-02-30"}, "from"),
        ({"within": [], "until": "2026-01-01"}, "until"),
        ({"within": [CHAOYANG], "to": "9999-12-31"}, "to"),
        ({"within": [CHAOYANG], "from": "0001-01-01"}, "from"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    requests_app: RequestsApp, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(
        await requests_app.client.post(BATCH, json=body, headers=requests_app.service()), 422
    )
    assert field in [e["field"] for e in problem["errors"]], problem


@pytest.fixture
async def counted(
    requests_database: Database,
    registry_demo_database: Database,
    keys: TestKeys,
    tmp_path: Path,
) -> AsyncIterator[tuple[RequestsApp, CountingTransport]]:
    transport = CountingTransport(registry_app(registry_demo_database, keys))
    async with (
        registry_upstream(registry_demo_database, keys, transport=transport) as registry,
        serve_requests(requests_database, keys, registry, tmp_path / "blobs") as app,
    ):
        yield app, transport


async def test_every_scope_of_a_batch_is_one_registry_call(
    counted: tuple[RequestsApp, CountingTransport],
) -> None:
    app, transport = counted
    body = await batch(app, {"within": SCOPES}, app.service())
    assert all(i["problem"] is None for i in body["items"])
    assert dict(transport.calls) == {("POST", ORGANIZATION_LOOKUPS): 1}
    transport.calls.clear()
    await batch(app, {"within": SCOPES}, app.service())
    assert transport.total() == 0  # the ancestries are cached


async def test_the_registry_down_fails_the_whole_batch_with_503(
    requests_database: Database, keys: TestKeys, tmp_path: Path
) -> None:
    registry = unreachable_registry(keys)
    try:
        async with serve_requests(requests_database, keys, registry, tmp_path / "b") as app:
            response = await app.client.post(BATCH, json={"within": SCOPES}, headers=app.service())
            assert_problem(response, 503)
            single = await app.client.get(STATS, params={"within": CHAOYANG}, headers=app.service())
            assert_problem(single, 503)
    finally:
        await registry.aclose()


async def test_days_out_of_range_are_422_in_the_single_read_too(requests_app: RequestsApp) -> None:
    """9999-12-31 and 0001-01-01 overflowed into a 500 (found while testing the batch)."""
    for params in ({"to": "9999-12-31"}, {"from": "0001-01-01"}):
        response = await requests_app.client.get(STATS, params=params, headers=requests_app.admin())
        problem = assert_problem(response, 422)
        assert [e["field"] for e in problem["errors"]] == list(params)
