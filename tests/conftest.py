"""Fixtures every test shares: signing keys, tokens, and the database backends.

Database tests are parametrized over ``backend``: SQLite always, PostgreSQL when it answers
(``ZHDJ_TEST_REQUIRE_POSTGRES=1``, set by CI, turns an unreachable PostgreSQL into a failure
instead of a skip).
"""

from __future__ import annotations

import pytest

from tests.support.databases import BACKENDS, REQUIRE_POSTGRES, postgres_reachable
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
