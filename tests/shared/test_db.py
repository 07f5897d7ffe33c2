"""The database layer behaves alike on SQLite and PostgreSQL (the pitfalls of ENGINEERING.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import StatementError

from tests.support.databases import PG_ADMIN_DSN, fresh_postgres_database, isolated
from zhdj_shared.db import Database, UTCDateTime, WriteInReadOnlyUnitOfWork

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("at", UTCDateTime()),
)


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = await fresh_postgres_database("zhdj_test_shared_db")
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db
    await db.dispose()


async def count(db: Database) -> int:
    async with db.engine.connect() as connection:
        return len((await connection.execute(select(things))).all())


async def test_savepoint_isolation_rolls_back_committed_work(database: Database) -> None:
    async with isolated(database) as iso:
        async for session in iso.session_override():  # the app's unit of work commits...
            await session.exec(insert(things).values(id=1, name="红纽带"))
        async with iso.session() as session:
            assert len((await session.exec(select(things))).all()) == 1
    assert await count(database) == 0  # ...but only up to the test's outer transaction


async def test_failed_unit_of_work_leaves_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async for session in database.unit_of_work():
            await session.exec(insert(things).values(id=2, name="x"))
            raise RuntimeError("refused")
    assert await count(database) == 0


async def test_times_are_stored_as_utc_and_read_back_aware(database: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 10, 1, 9, 30, tzinfo=shanghai)
    async for session in database.unit_of_work():
        await session.exec(insert(things).values(id=3, name="国庆", at=local))
    async with database.engine.connect() as connection:
        stored = (await connection.execute(select(things.c.at))).scalar_one()
    assert stored == local
    assert stored.utcoffset() == timedelta(0)
    assert stored.astimezone(UTC).hour == 1


async def test_naive_times_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive"):
        async for session in database.unit_of_work():
            await session.exec(insert(things).values(id=4, at=datetime(2026, 1, 1)))


async def test_chinese_text_round_trips(database: Database) -> None:
    async for session in database.unit_of_work():
        await session.exec(insert(things).values(id=5, name="中共示范市委员会·党建联合体"))
    async with database.engine.connect() as connection:
        name = (await connection.execute(select(things.c.name))).scalar_one()
    assert name == "中共示范市委员会·党建联合体"


async def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout(
    backend: str,
) -> None:
    """PostgreSQL restarted (here: the pooled connection's backend terminated): the next unit of
    work gets a new connection instead of an error (the pool checks asyncpg's closed flag at
    checkout instead of pinging every connection)."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's pooled connections")
    db = Database(await fresh_postgres_database("zhdj_test_shared_db_closed"))
    try:
        async with db.engine.connect() as connection:
            first = (await connection.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
            raw = (await connection.get_raw_connection()).driver_connection
        closed = asyncio.Event()
        raw.add_termination_listener(lambda _connection: closed.set())
        assert db.engine.pool.checkedin() == 1  # back in the pool, idle
        admin = await asyncpg.connect(PG_ADMIN_DSN)  # not from the pool: that is the victim
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        await asyncio.wait_for(closed.wait(), 30)  # asyncpg sees the socket close while idle
        assert raw.is_closed()

        async for session in db.unit_of_work():
            second = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await db.dispose()


async def _in_transaction(session: Any) -> bool:
    """Whether the server (or SQLite) holds a transaction open on the session's connection."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if hasattr(driver, "is_in_transaction"):  # asyncpg
        return bool(driver.is_in_transaction())
    return bool(driver.in_transaction)  # aiosqlite


async def test_a_read_only_unit_of_work_reads_without_a_transaction(database: Database) -> None:
    """What a GET gets: every statement on its own (no BEGIN, no COMMIT round trips)."""
    async for session in database.unit_of_work():
        await session.exec(insert(things).values(id=7, name="灯"))
    async for session in database.unit_of_work(read_only=True):
        rows = (await session.exec(select(things.c.name))).all()
        assert [r[0] for r in rows] == ["灯"]
        assert not await _in_transaction(session)
    async for session in database.unit_of_work():  # the control: a write's unit of work
        await session.exec(select(things.c.name))
        assert await _in_transaction(session)
    # The pool's connections are as they were: a failed write still rolls back entirely.
    with pytest.raises(RuntimeError):
        async for session in database.unit_of_work():
            await session.exec(insert(things).values(id=8, name="门"))
            raise RuntimeError("refused")
    assert await count(database) == 1


@pytest.mark.parametrize(
    "statement",
    [
        insert(things).values(id=9, name="x"),
        text("UPDATE things SET name = 'y'"),
        text("  delete from things"),
    ],
)
async def test_a_read_only_unit_of_work_refuses_to_write(
    database: Database, statement: Any
) -> None:
    with pytest.raises(WriteInReadOnlyUnitOfWork):
        async for session in database.unit_of_work(read_only=True):
            await session.exec(statement)
    assert await count(database) == 0
