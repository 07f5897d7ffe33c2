"""The identity app in-process over real SQLite and PostgreSQL, one rolled-back transaction each.

ASGITransport runs no lifespan, so the fixture applies what the start-up hook would: the signing
key and the seed (administrator, service clients).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from tests.support.databases import IsolatedDatabase, isolated, migrated_url
from zhdj_gateway.identity import keys
from zhdj_gateway.identity.app import MIGRATIONS_DIR, create_identity_app
from zhdj_gateway.identity.keys import generate_private_pem
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.seed import bootstrap
from zhdj_gateway.settings import GatewaySettings
from zhdj_shared.db import Database, get_session

ADMIN_PASSWORD = "Admin-pass-2026"
BASE_URL = "http://testserver"
# A cheap scrypt cost for tests only (production keeps the default).
TEST_HASHER = PasswordHasher(cost=4)


def make_settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "load_demo_data": False,
        "migrate_on_start": False,
        "login_max_failures": 3,
        "login_failure_window_seconds": 60,
        "redis_url": None,
        "ZHDJ_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    values.update(overrides)
    return GatewaySettings(**values)


@pytest.fixture(scope="session")
def key_pool() -> list[str]:
    return [generate_private_pem() for _ in range(3)]


@pytest.fixture(autouse=True)
def reuse_generated_keys(key_pool: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """RSA generation costs up to a second; tests draw from a few keys made once (in turn, so a
    rotation still yields a different key)."""
    pool = itertools.cycle(key_pool)
    monkeypatch.setattr(keys, "generate_private_pem", lambda: next(pool))


@pytest.fixture(scope="session")
async def gateway_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    # Named apart from "gateway" so the edge's tests can migrate their own database alongside.
    folder: Path = tmp_path_factory.mktemp(f"identity-{backend}")
    url = await migrated_url("gateway-identity", backend, MIGRATIONS_DIR, folder)
    database = Database(url)
    yield database
    await database.dispose()


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    db: IsolatedDatabase
    settings: GatewaySettings

    async def password_login(self, username: str, password: str, **extra: str) -> httpx.Response:
        data = {"grant_type": "password", "username": username, "password": password, **extra}
        return await self.client.post("/auth/token", data=data)

    async def bearer(self, username: str, password: str) -> dict[str, str]:
        response = await self.password_login(username, password)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def admin(self) -> dict[str, str]:
        return await self.bearer("admin", ADMIN_PASSWORD)

    async def count(self, model: Any, *where: Any) -> int:
        async with self.db.session() as session:
            result = await session.exec(select(func.count()).select_from(model).where(*where))
            return int(result.one())

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.db.session() as session:
            return list((await session.exec(select(model).where(*where))).all())


@asynccontextmanager
async def running(database: Database, settings: GatewaySettings) -> AsyncIterator[Harness]:
    """The identity app bound to one isolated transaction, seeded as at start-up."""
    app = create_identity_app(settings, database=database, password_hasher=TEST_HASHER)
    async with isolated(database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        app.state.identity.sessions.factory = iso.session
        await bootstrap(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield Harness(app, client, iso, settings)


@pytest.fixture
async def harness(gateway_database: Database) -> AsyncIterator[Harness]:
    async with running(gateway_database, make_settings()) as running_harness:
        yield running_harness
