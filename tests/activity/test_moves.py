"""A community moves to another street: its activities, participations and volunteer hours
follow it (the real registry app moves it; the activity app's follower rewrites the paths)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select

from tests.activity.conftest import BASE, BRANCH, C1, CHAOYANG, ActivityApp, serve_activity
from tests.support.moves import MovableRegistry, follower, movable_registry
from tests.support.tokens import TestKeys
from zhdj_activity.models import Activity, Participant, VolunteerRecord
from zhdj_activity.models.base import MOVES_CURSOR
from zhdj_activity.moves import COPIED_PATHS
from zhdj_shared.db import Database

HEPING = "demo-s-xinhua-heping"
OLD = f"demo-city/demo-d-xinhua/{CHAOYANG}/{C1}/{BRANCH}/"
NEW = f"demo-city/demo-d-xinhua/{HEPING}/{C1}/{BRANCH}/"
# A neighbour whose id starts like the moved one's: a prefix ends at a "/", so it stays.
NEIGHBOUR = f"demo-city/demo-d-xinhua/{CHAOYANG}/{C1}0/"


@pytest.fixture
async def registry(
    registry_demo_database: Database, keys: TestKeys
) -> AsyncIterator[MovableRegistry]:
    async with movable_registry(registry_demo_database, keys) as movable:
        yield movable


@pytest.fixture
async def app(
    activity_database: Database, keys: TestKeys, registry: MovableRegistry, tmp_path: Path
) -> AsyncIterator[ActivityApp]:
    async with serve_activity(activity_database, keys, registry.client, tmp_path) as served:
        yield served


def volunteer_record(org_id: str, org_path: str) -> VolunteerRecord:
    return VolunteerRecord(
        member_id="demo-m-1",
        member_name="李明",
        org_id=org_id,
        org_path=org_path,
        post_kind="elderly_care",
        hours=2.0,
        served_on=date(2026, 3, 1),
        recorded_by="staff-1",
    )


async def listed(app: ActivityApp, within: str) -> set[str]:
    response = await app.client.get(
        f"{BASE}/activities", params={"within": within}, headers=app.staff(within)
    )
    assert response.status_code == 200, response.text
    return {a["id"] for a in response.json()["items"]}


async def test_a_moved_communitys_activities_follow_it(
    app: ActivityApp, registry: MovableRegistry
) -> None:
    planned = await app.plan()
    async with app.session() as session:
        session.add(volunteer_record(BRANCH, OLD))
        session.add(volunteer_record(f"{C1}0", NEIGHBOUR))
    assert planned["id"] in await listed(app, CHAOYANG)
    await registry.move(C1, HEPING)

    assert await follower(app.session, registry.client, MOVES_CURSOR, COPIED_PATHS).poll() == 1
    assert planned["id"] in await listed(app, HEPING)
    assert planned["id"] not in await listed(app, CHAOYANG)
    async with app.session() as session:
        activity = await session.get(Activity, planned["id"])
        assert activity is not None
        assert activity.owner_path == NEW
        parties = await session.exec(
            select(Participant.party_path).where(col(Participant.activity_id) == planned["id"])
        )
        assert set(parties.all()) == {NEW}
        records = await session.exec(select(VolunteerRecord.org_path))
        assert sorted(records.all()) == sorted([NEW, NEIGHBOUR])

    # Managing it follows too: the old street may no longer cancel it, the new one may.
    body = {"reason": "改期举行"}
    old = await app.client.post(
        f"{BASE}/activities/{planned['id']}/cancel", json=body, headers=app.staff(CHAOYANG)
    )
    assert old.status_code == 403, old.text
    new = await app.client.post(
        f"{BASE}/activities/{planned['id']}/cancel", json=body, headers=app.staff(HEPING)
    )
    assert new.status_code == 200, new.text
