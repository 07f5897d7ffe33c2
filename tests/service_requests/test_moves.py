"""A community moves to another street: the requests it handles follow it.

The real registry app (demo city, writes in the test's transaction) moves 朝阳街道's second
community under 和平街道; the service-requests app's moves follower (``zhdj_shared.moves``, the
one its lifespan starts) reads the registry's moves log through the real RegistryClient and
rewrites ``handling_path``. The staff queues are read through the service's own API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from tests.service_requests.conftest import (
    CHAOYANG,
    CHAOYANG_C1,
    CHAOYANG_C2,
    HEPING,
    XINHUA,
    RequestsApp,
    serve_requests,
)
from tests.service_requests.test_access import call_for, ids
from tests.support.moves import MovableRegistry, follower, movable_registry
from tests.support.tokens import TestKeys
from tests.support.upstreams import unreachable_registry
from zhdj_service_requests.app import create_app
from zhdj_service_requests.models import ServiceRequest
from zhdj_service_requests.models.base import MOVES_CURSOR
from zhdj_service_requests.moves import COPIED_PATHS
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.db import Database
from zhdj_shared.lifespan import ChildLifespan
from zhdj_shared.moves import MovesFollower, apply_moves, fetch_moves, read_cursor
from zhdj_shared.storage import LocalBlobStore

CITY = "demo-city"
OLD_C2 = f"/{CITY}/{XINHUA}/{CHAOYANG}/{CHAOYANG_C2}/"
NEW_C2 = f"/{CITY}/{XINHUA}/{HEPING}/{CHAOYANG_C2}/"


@pytest.fixture
async def registry(
    registry_demo_database: Database, keys: TestKeys
) -> AsyncIterator[MovableRegistry]:
    async with movable_registry(registry_demo_database, keys) as movable:
        yield movable


@pytest.fixture
async def app(
    requests_database: Database, keys: TestKeys, registry: MovableRegistry, tmp_path: Path
) -> AsyncIterator[RequestsApp]:
    async with serve_requests(requests_database, keys, registry.client, tmp_path) as served:
        yield served


def follower_of(app: RequestsApp, registry: MovableRegistry) -> MovesFollower:
    return follower(app.session, registry.client, MOVES_CURSOR, COPIED_PATHS)


async def handling_path(app: RequestsApp, request_id: str) -> str:
    async with app.session() as session:
        query = select(ServiceRequest.handling_path).where(col(ServiceRequest.id) == request_id)
        return str((await session.exec(query)).one())


async def test_after_a_move_the_new_street_queues_the_community_and_the_old_does_not(
    app: RequestsApp, registry: MovableRegistry
) -> None:
    moved = await call_for(app, CHAOYANG_C2, CHAOYANG)
    stays = await call_for(app, CHAOYANG_C1, CHAOYANG)
    # The community's own staff read their queue first: their ancestry is now in the cache.
    assert await ids(app, app.staff(CHAOYANG_C2), "/queue") == {moved["id"]}
    await registry.move(CHAOYANG_C2, HEPING)

    # Before the follower's round the copies are stale: the defect this fixes.
    assert moved["id"] not in await ids(app, app.staff(HEPING), "/queue")

    assert await follower_of(app, registry).poll() == 1
    assert await handling_path(app, moved["id"]) == NEW_C2
    assert await ids(app, app.staff(HEPING), "/queue") == {moved["id"]}
    assert await ids(app, app.staff(CHAOYANG), "/queue") == {stays["id"]}
    # Its own staff still see it: the follower made the client forget the cached ancestry.
    assert await ids(app, app.staff(CHAOYANG_C2), "/queue") == {moved["id"]}
    assert await ids(app, app.staff(XINHUA), "/queue") == {moved["id"], stays["id"]}
    # Who handles it follows too: the new street may read it (unmasked), the old may not.
    detail = await app.client.get(
        f"/api/service-requests/requests/{moved['id']}", headers=app.staff(HEPING)
    )
    assert detail.status_code == 200, detail.text
    old = await app.client.get(
        f"/api/service-requests/requests/{moved['id']}", headers=app.staff(CHAOYANG)
    )
    assert old.status_code == 404, old.text


async def test_applying_a_move_twice_changes_nothing_and_the_cursor_persists(
    app: RequestsApp, registry: MovableRegistry
) -> None:
    moved = await call_for(app, CHAOYANG_C2, CHAOYANG)
    await registry.move(CHAOYANG_C2, HEPING)
    first = follower_of(app, registry)
    assert await first.poll() == 1
    assert await first.poll() == 0  # nothing new
    async with app.session() as session:
        seq = await read_cursor(session, MOVES_CURSOR)
    assert seq >= 1

    # A process started later (a new replica) starts from the stored cursor: nothing to do.
    assert await follower_of(app, registry).poll() == 0
    # The same move applied once more, by hand, as a second replica would replay it.
    (move,), _ = await fetch_moves(registry.client, seq - 1)
    async with app.session() as session:
        assert await apply_moves(session, MOVES_CURSOR, COPIED_PATHS, [move])
    assert await handling_path(app, moved["id"]) == NEW_C2
    async with app.session() as session:
        assert await read_cursor(session, MOVES_CURSOR) == seq


async def test_a_follower_behind_another_does_not_undo_a_later_move(
    app: RequestsApp, registry: MovableRegistry
) -> None:
    """There and back: a replica that read only the first move must not apply it over the
    second (it would send the community to 和平 again)."""
    moved = await call_for(app, CHAOYANG_C2, CHAOYANG)
    await registry.move(CHAOYANG_C2, HEPING)
    (there,), _ = await fetch_moves(registry.client, 0)
    await registry.move(CHAOYANG_C2, CHAOYANG)
    assert await follower_of(app, registry).poll() == 2
    assert await handling_path(app, moved["id"]) == OLD_C2

    async with app.session() as session:
        assert not await apply_moves(session, MOVES_CURSOR, COPIED_PATHS, [there])
    assert await handling_path(app, moved["id"]) == OLD_C2
    assert await ids(app, app.staff(CHAOYANG), "/queue") == {moved["id"]}
    assert await ids(app, app.staff(HEPING), "/queue") == set()


async def test_a_row_written_from_a_stale_cache_is_corrected_by_the_next_round(
    app: RequestsApp, registry: MovableRegistry
) -> None:
    """Another replica applied the move, but this process still had the old ancestry cached
    and wrote a request with the old path: its own round replays the move and fixes it."""
    await registry.move(CHAOYANG_C2, HEPING)
    elsewhere = follower_of(app, registry)  # another replica: applies and moves the cursor
    assert await elsewhere.poll() == 1
    here = follower_of(app, registry)
    here.seen = 0  # this process had not read the log since before the move
    written = await call_for(app, CHAOYANG_C1, CHAOYANG)
    async with app.session() as session:  # as if written from the stale cached ancestry
        row = await session.get(ServiceRequest, written["id"])
        assert row is not None
        row.handling_org_id, row.handling_path = CHAOYANG_C2, OLD_C2
    assert await here.poll() == 1
    assert await handling_path(app, written["id"]) == NEW_C2


async def test_a_process_pages_behind_the_cursor_catches_up(
    app: RequestsApp, registry: MovableRegistry
) -> None:
    """Another replica applied there and back; this process, a page behind, reads both
    (one a page) and replays only what ends at the cursor."""
    moved = await call_for(app, CHAOYANG_C2, CHAOYANG)
    await registry.move(CHAOYANG_C2, HEPING)
    await registry.move(CHAOYANG_C2, CHAOYANG)
    assert await follower_of(app, registry).poll() == 2
    behind = follower_of(app, registry)
    behind.seen, behind.page = 0, 1
    assert await asyncio.wait_for(behind.poll(), timeout=10) == 1
    assert behind.seen == 2
    assert await handling_path(app, moved["id"]) == OLD_C2


async def test_the_registry_down_only_delays_the_rewrite(
    app: RequestsApp, registry: MovableRegistry, keys: TestKeys
) -> None:
    moved = await call_for(app, CHAOYANG_C2, CHAOYANG)
    await registry.move(CHAOYANG_C2, HEPING)
    down = unreachable_registry(keys)
    loop = follower(app.session, down, MOVES_CURSOR, COPIED_PATHS)
    task = asyncio.create_task(loop.run(0.01))
    try:
        # While the task runs it alone uses the test's connection: the test only watches it.
        await asyncio.sleep(0.2)  # several failed rounds
        assert not task.done()  # the loop survives them
        assert loop.seen is None  # and applied nothing
        loop.registry = registry.client  # the registry is back
        for _ in range(300):
            if loop.seen is not None:
                break
            await asyncio.sleep(0.01)
        assert loop.seen == 1
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await down.aclose()
    assert await handling_path(app, moved["id"]) == NEW_C2


async def test_the_app_starts_its_follower_and_survives_a_registry_that_is_down(
    requests_database: Database, keys: TestKeys, tmp_path: Path
) -> None:
    registry = unreachable_registry(keys)
    settings = ServiceRequestsSettings(
        migrate_on_start=False,
        load_demo_data=False,
        escalation_interval_seconds=0,
        webhook_poll_seconds=0,
        moves_poll_seconds=0.01,
    )
    app: FastAPI = create_app(
        settings,
        database=requests_database,
        token_verifier=keys.verifier(),
        registry=registry,
        blobs=LocalBlobStore(tmp_path),
    )
    lifespan = ChildLifespan(app)
    await lifespan.startup()
    try:
        assert isinstance(app.state.moves_follower, MovesFollower)
        await asyncio.sleep(0.1)
        tasks = [t for t in asyncio.all_tasks() if t.get_name() == "moves-follower"]
        assert len(tasks) == 1
        assert not tasks[0].done()
    finally:
        await lifespan.shutdown()
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "moves-follower"]
