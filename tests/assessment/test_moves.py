"""A community moves to another street after its cycle was published: who sees its result
follows the tree, the result itself stays as it was frozen (zhdj_assessment.moves)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.assessment.conftest import BASE, CHAOYANG, AssessmentApp, serve_assessment
from tests.support.moves import MovableRegistry, follower, movable_registry
from tests.support.tokens import TestKeys
from zhdj_assessment.defaults import DEFAULT_SYSTEM_ID
from zhdj_assessment.models import Cycle, CycleTarget
from zhdj_assessment.models.base import MOVES_CURSOR
from zhdj_assessment.moves import COPIED_PATHS
from zhdj_assessment.sources import Sources
from zhdj_shared.db import Database, utcnow

HEPING = "demo-s-xinhua-heping"
COMMUNITY = f"{CHAOYANG}-c2"
PATH = f"demo-city/demo-d-xinhua/{CHAOYANG}/{COMMUNITY}/"


@pytest.fixture
async def registry(
    registry_demo_database: Database, keys: TestKeys
) -> AsyncIterator[MovableRegistry]:
    async with movable_registry(registry_demo_database, keys) as movable:
        yield movable


@pytest.fixture
async def app(
    assessment_database: Database, keys: TestKeys, registry: MovableRegistry
) -> AsyncIterator[AssessmentApp]:
    http = registry.client.http  # the other sources are not read here
    sources = Sources(registry.client, http, http)
    async with serve_assessment(assessment_database, keys, sources) as served:
        yield served


async def published_cycle(app: AssessmentApp) -> str:
    now = utcnow()
    cycle = Cycle(
        name="2026年度社区党组织考核",
        system_id=DEFAULT_SYSTEM_ID,
        year=2026,
        target_kind="org",
        status="published",
        created_by="assessor-1",
        computed_at=now,
        finalized_at=now,
        published_at=now,
    )
    target = CycleTarget(
        cycle_id=cycle.id,
        target_id=COMMUNITY,
        target_kind="org",
        name="中共朝阳街道幸福社区委员会",
        path=PATH,
        total=91.5,
        known_points=91.5,
        complete=True,
        grade="excellent",
        rank=1,
        incentive=True,
    )
    async with app.db.session() as session:
        session.add(cycle)
        await session.flush()
        session.add(target)
    return cycle.id


async def result(app: AssessmentApp, cycle_id: str, street: str) -> Any:
    return await app.client.get(
        f"{BASE}/cycles/{cycle_id}/targets/{COMMUNITY}", headers=app.staff(street)
    )


async def test_who_sees_a_frozen_result_follows_a_move_and_the_result_does_not_change(
    app: AssessmentApp, registry: MovableRegistry
) -> None:
    cycle_id = await published_cycle(app)
    before = await result(app, cycle_id, CHAOYANG)
    assert before.status_code == 200, before.text
    assert (await result(app, cycle_id, HEPING)).status_code == 403

    await registry.move(COMMUNITY, HEPING)
    assert await follower(app.db.session, registry.client, MOVES_CURSOR, COPIED_PATHS).poll() == 1

    after = await result(app, cycle_id, HEPING)
    assert after.status_code == 200, after.text
    assert after.json()["result"] == before.json()["result"]  # total, grade, rank: frozen
    assert (await result(app, cycle_id, CHAOYANG)).status_code == 403
    ranking = await app.client.get(f"{BASE}/cycles/{cycle_id}/results", headers=app.staff(HEPING))
    assert ranking.status_code == 200, ranking.text
    assert [t["rank"] for t in ranking.json()["items"]] == [1]
