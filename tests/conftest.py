"""Fixtures every test shares: signing keys, tokens, and the database backends.

Database tests are parametrized over ``backend``: SQLite always, PostgreSQL when it answers
(``ZHDJ_TEST_REQUIRE_POSTGRES=1``, set by CI, turns an unreachable PostgreSQL into a failure
instead of a skip).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.databases import (
    BACKENDS,
    REQUIRE_POSTGRES,
    drop_created_databases,
    postgres_reachable,
)
from tests.support.tokens import TestKeys


@pytest.fixture(scope="session")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql" and not await postgres_reachable():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (ZHDJ_TEST_REQUIRE_POSTGRES=1) but unreachable")
        pytest.skip("PostgreSQL is not reachable")
    return name


@pytest.fixture(scope="session", autouse=True)
async def _drop_test_databases() -> AsyncIterator[None]:
    """Set up first, torn down last: drops the PostgreSQL databases this session created."""
    yield
    await drop_created_databases()
