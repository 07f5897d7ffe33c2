"""What every service app built by the shared factory guarantees to clients."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from tests.support.databases import (
    PG_ADMIN_DSN,
    fresh_postgres_database,
    require_postgres,
)
from tests.support.tokens import TestKeys
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database, SessionDep
from zhdj_shared.pagination import decode_cursor, encode_cursor
from zhdj_shared.settings import ServiceSettings

router = APIRouter()


@router.get("/api/test/boom")
async def boom() -> dict[str, str]:
    raise RuntimeError("secret internals")


@router.post("/api/test/race")
async def race() -> dict[str, str]:
    raise IntegrityError("INSERT ...", {}, Exception("duplicate key value"))


@router.post("/api/test/lost/{kind}")
async def lost(kind: str) -> dict[str, str]:
    error = OperationalError if kind == "operational" else InterfaceError
    raise error("INSERT ...", {}, Exception("connection was closed in the middle of operation"))


metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True))
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", Text))


@router.post("/api/test/things/{thing_id}", status_code=201)
async def add_thing(thing_id: int, session: SessionDep) -> dict[str, int]:
    # No flush: a duplicate fails only when the unit of work commits, after this returns.
    await session.exec(insert(things).values(id=thing_id))  # type: ignore[call-overload]
    return {"id": thing_id}


@router.get("/api/test/things")
async def count_things(session: SessionDep) -> dict[str, int]:
    rows = (await session.exec(select(things.c.id))).all()  # type: ignore[call-overload]
    return {"count": len(rows)}


@router.post("/api/test/notes", status_code=201)
async def add_note(body: dict[str, str], session: SessionDep) -> dict[str, str]:
    await session.exec(insert(notes).values(body=body["text"]))  # type: ignore[call-overload]
    return body


@router.get("/api/test/slow-query")
async def slow_query(request: Request, session: SessionDep) -> dict[str, str]:
    """Tells the test its connection's backend, then waits in a statement (to be cut)."""
    pid = (await session.exec(text("SELECT pg_backend_pid()"))).one()[0]  # type: ignore[call-overload]
    request.app.state.backend_pid.set_result(pid)
    await session.exec(text("SELECT pg_sleep(30)"))  # type: ignore[call-overload]
    return {"status": "not cut"}


@router.get("/api/test/sneaky/{thing_id}")
async def sneaky_write(thing_id: int, session: SessionDep) -> dict[str, int]:
    """A read that writes: what a GET's read-only unit of work refuses."""
    await session.exec(insert(things).values(id=thing_id))  # type: ignore[call-overload]
    return {"id": thing_id}


@router.get("/api/test/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    return {"id": item_id}


@pytest.fixture
async def client(tmp_path: Path, keys: TestKeys) -> AsyncIterator[httpx.AsyncClient]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with _client(conventions_app(database, tmp_path, keys)) as http:
        yield http
    await database.dispose()


def conventions_app(database: Database, tmp_path: Path, keys: TestKeys) -> FastAPI:
    return create_service_app(
        title="t",
        description="t",
        settings=ServiceSettings(service_name="test", migrate_on_start=False),
        routers=[router],
        migrations_dir=tmp_path,
        database=database,
        token_verifier=keys.verifier(),
    )


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.fixture
async def postgres_url() -> str:
    await require_postgres()
    return await fresh_postgres_database("zhdj_test_conventions")


@pytest.fixture
async def pg_app(postgres_url: str, tmp_path: Path, keys: TestKeys) -> AsyncIterator[FastAPI]:
    database = Database(postgres_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield conventions_app(database, tmp_path, keys)
    await database.dispose()


def _assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("/database-unavailable")


async def test_unexpected_error_is_a_500_problem_without_internals(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/test/boom", headers={"X-Request-ID": "abcdef123456"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "abcdef123456"
    body = response.json()
    assert body["request_id"] == "abcdef123456"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_a_lost_race_on_a_database_rule_is_a_409_problem(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/test/race")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "duplicate key" not in response.text
    assert (await client.post("/api/test/things/1")).status_code == 201
    duplicate = await client.post("/api/test/things/1")  # fails at commit, before the response
    assert duplicate.status_code == 409


@pytest.mark.parametrize("kind", ["operational", "interface"])
async def test_a_lost_database_connection_is_a_503_problem_to_retry(
    client: httpx.AsyncClient, kind: str
) -> None:
    response = await client.post(f"/api/test/lost/{kind}")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert "connection was closed" not in response.text


async def test_every_pooled_connection_in_use_is_a_503_problem_to_retry(
    backend: str, tmp_path: Path, keys: TestKeys
) -> None:
    """An overloaded process whose requests wait for a pooled connection longer than the pool
    allows (bench/platform_load.py at 300 req/s: ``QueuePool limit ... reached``) answers 503,
    which clients retry and the gateway's breaker counts; it was an unhandled 500."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}"
    else:
        url = await fresh_postgres_database("zhdj_test_shared_pool")
    # The platform's pool (20 connections, 30 s) made small: one connection, a short wait.
    database = Database(url, pool_size=1, pool_timeout=0.2)
    async with database.engine.begin() as connection:
        await connection.run_sync(things.metadata.create_all)
    app = create_service_app(
        title="t",
        description="t",
        settings=ServiceSettings(service_name="test", migrate_on_start=False),
        routers=[router],
        migrations_dir=tmp_path,
        database=database,
        token_verifier=keys.verifier(),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        async with database.engine.connect() as held:  # the pool's only connection, in use
            await held.exec_driver_sql("SELECT 1")
            busy = await client.get("/api/test/things")
        again = await client.get("/api/test/things")
    await database.dispose()
    assert busy.status_code == 503
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["type"].endswith("/database-busy")
    assert "QueuePool" not in busy.text
    assert again.status_code == 200
    assert again.json() == {"count": 0}


async def test_a_get_that_writes_is_refused_and_stores_nothing(
    backend: str, tmp_path: Path, keys: TestKeys
) -> None:
    """A GET's unit of work has no transaction and refuses any write: the bug shows at once
    (a 500 without internals), and nothing is stored."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ro.db'}"
    else:
        url = await fresh_postgres_database("zhdj_test_shared_ro")
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(things.metadata.create_all)
    async with _client(conventions_app(database, tmp_path, keys)) as client:
        refused = await client.get("/api/test/sneaky/5")
        stored = await client.post("/api/test/things/6")  # a POST's unit of work writes
        listed = await client.get("/api/test/things")
    await database.dispose()
    assert refused.status_code == 500
    assert refused.headers["content-type"] == "application/problem+json"
    assert "INSERT" not in refused.text.upper()
    assert stored.status_code == 201
    assert listed.json() == {"count": 1}


async def test_the_pool_follows_the_settings(tmp_path: Path, keys: TestKeys) -> None:
    settings = ServiceSettings(
        service_name="test",
        migrate_on_start=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
        database_pool_size=3,
        database_pool_timeout=4.5,
    )
    app = create_service_app(
        title="t",
        description="t",
        settings=settings,
        routers=[router],
        migrations_dir=tmp_path,
        token_verifier=keys.verifier(),
    )
    pool = app.state.database.engine.pool
    assert (pool.size(), pool.timeout()) == (3, 4.5)
    await app.state.database.dispose()


async def test_a_refused_postgresql_connection_is_a_503_problem(
    tmp_path: Path, keys: TestKeys
) -> None:
    # asyncpg raises a refused connection as a bare OSError, which SQLAlchemy does not wrap: it
    # was a 500. Nothing listens on the port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    database = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nothing")
    async with _client(conventions_app(database, tmp_path, keys)) as http:
        _assert_database_unavailable(await http.post("/api/test/things/1"))
    await database.dispose()


async def test_a_connection_cut_in_the_middle_of_a_statement_is_a_503_problem(
    pg_app: FastAPI,
) -> None:
    # What a PostgreSQL restart does to a busy connection (pg_terminate_backend, the same
    # message): asyncpg reports it as a plain DBAPIError, which was a 500.
    pg_app.state.backend_pid = asyncio.get_running_loop().create_future()
    async with _client(pg_app) as http:
        pending = asyncio.create_task(http.get("/api/test/slow-query"))
        pid = await asyncio.wait_for(pg_app.state.backend_pid, 30)
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        _assert_database_unavailable(await pending)
        # The same app recovers at once: the pool drops the dead connection.
        assert (await http.post("/api/test/things/7")).status_code == 201


async def test_a_value_postgresql_cannot_store_is_a_422_problem(pg_app: FastAPI) -> None:
    async with _client(pg_app) as http:
        refused = await http.post("/api/test/notes", json={"text": "党建\x00"})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await http.post("/api/test/notes", json={"text": "党建"})).status_code == 201


async def test_request_id_is_generated_when_missing_or_unsafe(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


async def test_validation_errors_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/test/items/not-a-number")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "item_id"


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/test/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_health_readiness_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}
    await client.get("/api/test/items/1")
    metrics = (await client.get("/metrics")).text
    assert 'route="/api/test/items/{item_id}"' in metrics


async def test_readiness_fails_when_the_database_does_not_answer(
    tmp_path: Path, keys: TestKeys
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/missing-dir/x.db")
    app = create_service_app(
        title="t",
        description="t",
        settings=ServiceSettings(service_name="test", migrate_on_start=False),
        routers=[],
        migrations_dir=tmp_path,
        database=database,
        token_verifier=keys.verifier(),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("failed")
    await database.dispose()


def test_cursor_round_trip_and_refusal() -> None:
    assert decode_cursor(encode_cursor(["红纽带", "id-1"]), 2) == ["红纽带", "id-1"]
    with pytest.raises(Exception, match="cursor"):
        decode_cursor(encode_cursor(["only-one"]), 2)
