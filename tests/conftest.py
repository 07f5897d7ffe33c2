"""Fixtures every test shares: signing keys, tokens, and the database backends.

Database tests are parametrized over ``backend``: SQLite always, PostgreSQL when it answers
(``ZHDJ_TEST_REQUIRE_POSTGRES=1``, set by CI, turns an unreachable PostgreSQL into a failure
instead of a skip).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import (
    BACKENDS,
    drop_created_databases,
    migrated_url,
    require_postgres,
)
from tests.support.tokens import TestKeys
from tests.support.upstreams import registry_upstream
from zhdj_registry.app import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
from zhdj_registry.demo import load_demo
from zhdj_shared.db import Database
from zhdj_shared.registry_client import RegistryClient


@pytest.fixture(scope="session")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql":
        await require_postgres()
    return name


@pytest.fixture(scope="session", autouse=True)
async def _drop_test_databases() -> AsyncIterator[None]:
    """Set up first, torn down last: drops the PostgreSQL databases this session created."""
    yield
    await drop_created_databases()


@pytest.fixture(scope="session")
async def registry_demo_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A second database with every demo loader's rows, loaded and committed once per session."""
    tmp: Path = tmp_path_factory.mktemp(f"registry-demo-{backend}")
    database = Database(await migrated_url("registry-demo", backend, REGISTRY_MIGRATIONS, tmp))
    async for session in database.unit_of_work():
        await load_demo(session)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def demo_registry_client(
    registry_demo_database: Database, keys: TestKeys
) -> AsyncIterator[RegistryClient]:
    """The real registry app on the demo city, as other services reach it (read-only use)."""
    async with registry_upstream(registry_demo_database, keys) as client:
        yield client
