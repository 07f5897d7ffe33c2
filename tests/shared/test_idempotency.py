"""The shared Idempotency-Key mechanism on both databases, with real concurrent transactions:
a retry replays the first response, another body with the same key is 422, keys are per
principal and expire, and concurrent duplicates store exactly one change per key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from tests.support.databases import fresh_postgres_database
from zhdj_shared.db import NAMING_CONVENTION, Database, SessionDep, utcnow
from zhdj_shared.errors import install_handlers
from zhdj_shared.idempotency import (
    KEY_TTL,
    REPLAYED_HEADER,
    IdempotencyGuard,
    IdempotencyKeyHeader,
    body_hash,
    idempotency_table,
    idempotent_response,
    purge_expired,
    purge_hooks,
)
from zhdj_shared.ids import new_id

metadata = MetaData(naming_convention=NAMING_CONVENTION)
KEYS = idempotency_table(metadata)
THINGS = Table(
    "things",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
)


class Thing(BaseModel):
    name: str


class Created(BaseModel):
    id: str
    name: str


def build_app(database: Database, delay: float = 0.0) -> FastAPI:
    app = FastAPI()
    app.state.database = database
    install_handlers(app)

    @app.post("/things", status_code=201, response_model=Created)
    async def create(
        http: Request, body: Thing, session: SessionDep, key: IdempotencyKeyHeader = None
    ) -> Response:
        async def make() -> Created:
            thing_id = new_id()
            await session.exec(insert(THINGS).values(id=thing_id, name=body.name))
            await asyncio.sleep(delay)  # a slow handler: duplicates arrive while it is in flight
            return Created(id=thing_id, name=body.name)

        return await idempotent_response(
            session,
            KEYS,
            subject=http.headers.get("x-subject", "user-1"),
            key=key,
            endpoint="POST /things",
            body=body,
            produce=make,
            location=lambda created: f"/things/{created['id']}",
        )

    return app


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'idem.db'}"
    else:
        url = await fresh_postgres_database("zhdj_test_idempotency")
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db
    await db.dispose()


async def count_things(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int(
            (await connection.execute(select(func.count()).select_from(THINGS))).scalar_one()
        )


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_replay_and_mismatch(database: Database) -> None:
    async with client_for(build_app(database)) as client:
        first = await client.post("/things", json={"name": "灯"}, headers={"Idempotency-Key": "k1"})
        assert first.status_code == 201
        assert REPLAYED_HEADER not in first.headers
        again = await client.post(
            "/things",
            content=b'{ "name" : "\\u706f" }',
            headers={"Idempotency-Key": "k1", "content-type": "application/json"},
        )
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers[REPLAYED_HEADER] == "true"
        assert (
            again.headers["location"]
            == first.headers["location"]
            == (f"/things/{first.json()['id']}")
        )
        other = await client.post("/things", json={"name": "门"}, headers={"Idempotency-Key": "k1"})
        assert other.status_code == 422
        assert other.headers["content-type"] == "application/problem+json"
        # The same key of another principal is another key.
        theirs = await client.post(
            "/things", json={"name": "灯"}, headers={"Idempotency-Key": "k1", "x-subject": "u2"}
        )
        assert theirs.status_code == 201
        assert theirs.json()["id"] != first.json()["id"]
        # No key: no protection.
        await client.post("/things", json={"name": "灯"})
    assert await count_things(database) == 3


async def test_concurrent_duplicates_store_exactly_one(database: Database) -> None:
    app = build_app(database, delay=0.05)
    async with client_for(app) as client:

        async def send(key: str) -> httpx.Response:
            return await client.post(
                "/things", json={"name": key}, headers={"Idempotency-Key": key}
            )

        keys = [f"key-{i}" for i in range(5)]
        responses = await asyncio.gather(*(send(k) for k in keys for _ in range(4)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    by_key: dict[str, set[str]] = {}
    for response in responses:
        by_key.setdefault(response.json()["name"], set()).add(response.json()["id"])
    assert all(len(ids) == 1 for ids in by_key.values())
    assert await count_things(database) == len(keys)


async def test_a_rolled_back_first_attempt_leaves_the_key_free(database: Database) -> None:
    async for session in database.unit_of_work():
        guard = IdempotencyGuard(
            session, KEYS, subject="u", key="k", endpoint="POST /things", body={"name": "x"}
        )
        assert await guard.begin() is None
        await session.rollback()  # the handler failed: its key goes with it
    async for session in database.unit_of_work():
        guard = IdempotencyGuard(
            session, KEYS, subject="u", key="k", endpoint="POST /things", body={"name": "x"}
        )
        assert await guard.begin() is None
        await guard.complete(201, {"ok": True})


async def test_keys_expire(database: Database) -> None:
    old = utcnow() - KEY_TTL - timedelta(minutes=1)
    async for session in database.unit_of_work():
        guard = IdempotencyGuard(
            session, KEYS, subject="u", key="k", endpoint="POST /things", body={"n": 1}, now=old
        )
        assert await guard.begin() is None
        await guard.complete(201, {"first": True})
    async for session in database.unit_of_work():
        # A day later the same key with another body is a new request, not a 422.
        guard = IdempotencyGuard(
            session, KEYS, subject="u", key="k", endpoint="POST /things", body={"n": 2}
        )
        assert await guard.begin() is None
        await guard.complete(201, {"second": True})
    async for session in database.unit_of_work():
        assert await purge_expired(session, KEYS, utcnow() + KEY_TTL * 2) == 1


async def test_purge_hooks_remove_expired_keys_in_the_background(database: Database) -> None:
    old = utcnow() - KEY_TTL - timedelta(minutes=1)
    async for session in database.unit_of_work():
        for key, now in (("old", old), ("fresh", utcnow())):
            guard = IdempotencyGuard(
                session, KEYS, subject="u", key=key, endpoint="POST /t", body={}, now=now
            )
            await guard.begin()
            await guard.complete(201, {})
    app = FastAPI()
    app.state.database = database
    start, stop = purge_hooks(KEYS, every_seconds=3600)
    await start(app)
    try:
        for _ in range(100):  # the first round runs at once
            async with database.engine.connect() as connection:
                keys = (await connection.execute(select(KEYS.c.key))).scalars().all()
            if keys == ["fresh"]:
                break
            await asyncio.sleep(0.02)
    finally:
        await stop(app)
    assert keys == ["fresh"]


def test_body_hash_ignores_key_order() -> None:
    a: dict[str, Any] = {"a": 1, "b": [1, 2]}
    assert body_hash(a) == body_hash({"b": [1, 2], "a": 1})
    assert body_hash(a) != body_hash({"a": 2, "b": [1, 2]})
