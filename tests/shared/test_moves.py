"""``zhdj_shared.moves`` on real databases: the prefix rewrite, and two followers at once.

The services' own tests (``tests/*/test_moves.py``) follow the real registry; here two followers
run truly concurrently on committed data (each on its own connection), which a test inside one
rolled-back transaction cannot show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, select

from tests.support.databases import fresh_postgres_database
from zhdj_shared.db import Database, claim_writer, service_metadata
from zhdj_shared.moves import (
    CopiedPath,
    Move,
    apply_moves,
    database_sessions,
    moves_cursor_table,
    read_cursor,
)


class MovesTestModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass


class Place(MovesTestModel, table=True):
    __tablename__ = "places"

    id: str = Field(primary_key=True, max_length=64)
    path: str = Field(max_length=1024)


CURSOR = moves_cursor_table(MovesTestModel.metadata)
PATHS = (CopiedPath(Place, "path"),)
THERE = Move(seq=1, organization_id="c", old_path="/r/a/c/", new_path="/r/b/c/")
BACK = Move(seq=2, organization_id="c", old_path="/r/b/c/", new_path="/r/a/c/")


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'moves.db'}"
    else:
        url = await fresh_postgres_database("zhdj_test_shared_moves")
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(MovesTestModel.metadata.create_all)
        await connection.execute(CURSOR.insert().values(id=1, seq=0))  # as the migrations do
    try:
        yield database
    finally:
        await database.dispose()


async def places(database: Database) -> dict[str, str]:
    async with database_sessions(database)() as session:
        return {p.id: p.path for p in (await session.exec(select(Place))).all()}


async def cursor(database: Database) -> int:
    async with database_sessions(database)() as session:
        return await read_cursor(session, CURSOR)


async def add_places(database: Database, **paths: str) -> None:
    async with database_sessions(database)() as session:
        for place_id, path in paths.items():
            session.add(Place(id=place_id, path=path))


async def test_a_move_rewrites_exactly_the_subtree_once(database: Database) -> None:
    await add_places(
        database,
        c="/r/a/c/",
        below="/r/a/c/d/e/",
        neighbour="/r/a/c0/",  # starts like it, but is another organization
        like="/r/a/cXd/",  # LIKE's wildcards are escaped: "c_d" matches only itself
        wild="/r/a/c_d/x/",
        elsewhere="/r/b/",
    )
    wild = Move(seq=2, organization_id="c_d", old_path="/r/a/c_d/", new_path="/r/b/c_d/")
    for _ in range(2):  # the second time changes nothing
        async with database_sessions(database)() as session:
            assert await apply_moves(session, CURSOR, PATHS, [THERE, wild])
        assert await places(database) == {
            "c": "/r/b/c/",
            "below": "/r/b/c/d/e/",
            "neighbour": "/r/a/c0/",
            "like": "/r/a/cXd/",
            "wild": "/r/b/c_d/x/",
            "elsewhere": "/r/b/",
        }
    assert await cursor(database) == 2


async def test_two_followers_at_once_never_apply_an_older_batch_over_a_newer(
    database: Database,
) -> None:
    """One follower read there and back, another only there: whatever runs first, the
    community ends back where it is, and the cursor at the second move."""
    await add_places(database, c="/r/a/c/", below="/r/a/c/d/")
    ahead_holds_its_lock = asyncio.Event()

    sessions = database_sessions(database)  # each use: a unit of work on its own connection

    async def ahead() -> bool:
        async with sessions() as session:
            await claim_writer(session)
            done = await apply_moves(session, CURSOR, PATHS, [THERE, BACK])
            ahead_holds_its_lock.set()
            await asyncio.sleep(0.3)  # the other one starts meanwhile and must wait
        return done

    async def behind() -> bool:
        await ahead_holds_its_lock.wait()
        async with sessions() as session:
            await claim_writer(session)
            return await apply_moves(session, CURSOR, PATHS, [THERE])

    assert await asyncio.gather(ahead(), behind()) == [True, False]
    assert await places(database) == {"c": "/r/a/c/", "below": "/r/a/c/d/"}
    assert await cursor(database) == 2
