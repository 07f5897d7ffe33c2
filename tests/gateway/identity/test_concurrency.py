"""Identity writes at the same moment, on a real committed database (SQLite and PostgreSQL).

Found investigating a fuzz failure: on SQLite two registrations of one username at once were two
503s ("database is locked") rather than a 201 and a 409, and a login or a user creation failed
with 503 whenever another identity write committed during its password hash. A unit of work read
from a snapshot, hashed (~0.1 s in production), then tried to write, and SQLite refuses a write
from a stale snapshot at once; the busy timeout never applies. Identity writes now take SQLite's
write lock first (``zhdj_shared.db.claim_writer``) and queue instead.

These tests need their own database (not the rolled-back transaction of ``harness``): the race
is between connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from tests.gateway.identity.conftest import ADMIN_PASSWORD, BASE_URL, TEST_HASHER, make_settings
from tests.support.databases import migrated_url
from zhdj_gateway.identity.app import MIGRATIONS_DIR, create_identity_app
from zhdj_gateway.identity.models import RefreshToken, User
from zhdj_gateway.identity.seed import bootstrap
from zhdj_shared.db import Database

PASSWORD = "Race-pass-2026"
AT_ONCE = 6


@pytest.fixture
async def committed(backend: str, tmp_path: Path) -> AsyncIterator[tuple[FastAPI, Database]]:
    database = Database(await migrated_url("gateway-race", backend, MIGRATIONS_DIR, tmp_path))
    app = create_identity_app(make_settings(), database=database, password_hasher=TEST_HASHER)
    await bootstrap(app)
    yield app, database
    await database.dispose()


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60)


async def _admin(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _count(database: Database, model: type[User] | type[RefreshToken]) -> int:
    async with database.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_one_username_created_at_once_is_one_201_and_409s(
    committed: tuple[FastAPI, Database],
) -> None:
    app, database = committed
    async with _client(app) as client:
        admin = await _admin(client)
        before = await _count(database, User)
        body = {"username": "same_name", "password": PASSWORD, "display_name": "同名"}
        answers = await asyncio.gather(
            *(
                client.post("/auth/users", json=body, headers=admin)
                if n % 2
                else client.post("/auth/register", json=body)
                for n in range(AT_ONCE)
            )
        )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (AT_ONCE - 1), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["errors"][0]["field"] == "username"
    assert await _count(database, User) == before + 1


async def test_logins_and_user_creations_at_once_all_succeed(
    committed: tuple[FastAPI, Database],
) -> None:
    app, database = committed
    async with _client(app) as client:
        admin = await _admin(client)
        tokens_before = await _count(database, RefreshToken)
        logins = [
            client.post(
                "/auth/token",
                data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
            )
            for _ in range(AT_ONCE)
        ]
        creations = [
            client.post(
                "/auth/users",
                json={"username": f"user_{n}", "password": PASSWORD, "display_name": f"用户{n}"},
                headers=admin,
            )
            for n in range(AT_ONCE)
        ]
        answers = await asyncio.gather(*logins, *creations)
    assert [a.status_code for a in answers] == [200] * AT_ONCE + [201] * AT_ONCE, [
        a.text for a in answers if a.status_code >= 300
    ]
    assert await _count(database, RefreshToken) == tokens_before + AT_ONCE
