"""Real databases for tests: a SQLite file and, when reachable, a PostgreSQL database per service.

Each service's schema is created by its own Alembic migrations (so migrations are tested too),
once per test session. Each test then runs inside an outer transaction that is rolled back;
the app's sessions join it through SAVEPOINTs, which works on both drivers thanks to the SQLite
handling in ``zhdj_shared.db``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_shared.db import Database
from zhdj_shared.migrations import upgrade

PG_ADMIN_DSN = os.environ.get("ZHDJ_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("ZHDJ_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ("sqlite", "postgresql")

_pg_reachable: bool | None = None
# Databases this test process created; dropped when the session ends. Names carry the process
# id, so two test runs on one machine never drop each other's databases.
_created: list[str] = []


async def postgres_reachable() -> bool:
    global _pg_reachable
    if _pg_reachable is None:
        try:
            connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
            await connection.close()
            _pg_reachable = True
        except (OSError, asyncpg.PostgresError, TimeoutError):
            _pg_reachable = False
    return _pg_reachable


async def require_postgres() -> None:
    """Skip the test when PostgreSQL is unreachable; fail instead when CI requires it."""
    if not await postgres_reachable():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (ZHDJ_TEST_REQUIRE_POSTGRES=1) but unreachable")
        pytest.skip("PostgreSQL is not reachable")


async def fresh_postgres_database(name: str) -> str:
    name = f"{name}_{os.getpid()}"
    _created.append(name)
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(
            f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0 "
            "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    finally:
        await connection.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def migrated_url(service: str, backend: str, migrations_dir: Path, tmp_dir: Path) -> str:
    """A new, empty database of ``backend`` with ``service``'s migrations applied."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_dir / f'{service}.db'}"
    else:
        url = await fresh_postgres_database(f"zhdj_test_{service}".replace("-", "_"))
    await asyncio.to_thread(upgrade, migrations_dir, url)
    return url


async def drop_created_databases() -> None:
    if not _created:
        return
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        while _created:
            await connection.execute(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')
    finally:
        await connection.close()


SessionOverride = Callable[[], AsyncIterator[AsyncSession]]


class IsolatedDatabase:
    """One test's view: sessions joined to an outer transaction that is rolled back at the end."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.sessionmaker = async_sessionmaker(
            bind=connection,
            class_=AsyncSession,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    async def session_override(self) -> AsyncIterator[AsyncSession]:
        """Stands in for ``zhdj_shared.db.get_session``: the same unit of work, isolated."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session
            await session.commit()


@asynccontextmanager
async def isolated(database: Database) -> AsyncIterator[IsolatedDatabase]:
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield IsolatedDatabase(connection)
        finally:
            await transaction.rollback()
