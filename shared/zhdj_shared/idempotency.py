"""``Idempotency-Key`` for ``POST``s that mobile clients retry: never a duplicate.

The key row lives in the service's own database and is written in the **same transaction** as the
change it protects, so the two are stored together or not at all:

* the first request inserts ``(subject, key)`` at once (a unique primary key) and does its work;
  the response is stored on the row before the unit of work commits;
* a retry with the same key and the same body finds the row and gets the stored response back
  (same status and body, header ``Idempotent-Replayed: true``);
* the same key with a different body (or on another endpoint) is refused with 422;
* a duplicate that arrives while the first is still in flight blocks on the unique index
  (PostgreSQL) or on the database's single writer (SQLite) until the first commits, then finds
  the committed row and replays it. If the first rolled back, the retry's insert succeeds and it
  does the work itself. Either way exactly one change is stored per key.

Keys are per principal (``subject``): two clients may pick the same key. They expire after
:data:`KEY_TTL` (a client that retries a day later makes a new request).

Any service adds the table to its own metadata with :func:`idempotency_table` and answers a
guarded route with :func:`idempotent_response` (the activity service's plan, check-in, booking
and volunteer routes are examples); :func:`purge_hooks` removes expired keys in the background.

On PostgreSQL a route may also take the key in its own first statement, after its checks
(:func:`claim_statement`, :attr:`IdempotencyGuard.may_claim_later`: when that did not take it,
or the checks failed, it calls :meth:`IdempotencyGuard.begin`, which replays an answered
attempt), and store the response in the same statement as its change
(:meth:`IdempotencyGuard.completion`, :func:`completion_statement`). The service-requests
submission does both: its hottest write.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, Request
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Delete,
    Executable,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    Update,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from zhdj_shared.background import BackgroundTask, every
from zhdj_shared.db import Database, SessionDep, UTCDateTime, utcnow
from zhdj_shared.errors import Conflict, FieldError, Unauthorized, Unprocessable
from zhdj_shared.security.authz import Principal, optional_principal

logger = logging.getLogger(__name__)

KEY_TTL = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
TABLE_NAME = "idempotency_keys"
IN_FLIGHT, COMPLETED = "in_flight", "completed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retries with the same key and body return the first response",
    ),
]


def idempotency_table(metadata: MetaData) -> Table:
    """The ``idempotency_keys`` table on a service's own metadata (once per metadata)."""
    if TABLE_NAME in metadata.tables:
        return metadata.tables[TABLE_NAME]
    return Table(
        TABLE_NAME,
        metadata,
        Column("subject", String(128), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("endpoint", String(300), nullable=False),  # "POST /api/..."
        Column("body_hash", String(64), nullable=False),
        Column("state", String(16), nullable=False),
        Column("response_status", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("expires_at", UTCDateTime(), nullable=False, index=True),
    )


def body_hash(body: Any) -> str:
    """SHA-256 of the canonical JSON of the parsed body: whitespace or key order do not count."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class _Statements:
    """A table's statements, built once per table and dialect: a guarded call only binds
    parameters (building and hashing new statements cost more than running them)."""

    insert: Executable
    load: Select[Any]
    delete: Delete
    complete: Update


_statements: dict[tuple[Table, str], _Statements] = {}


def _statements_for(table: Table, dialect: str) -> _Statements:
    found = _statements.get((table, dialect))
    if found is not None:
        return found
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # The key's columns are bound as ``w_subject``/``w_key`` (an UPDATE binds its SET values
    # under the columns' own names).
    where = (
        table.c.subject == bindparam("w_subject"),
        table.c.key == bindparam("w_key"),
    )
    statements = _Statements(
        insert=insert(table)
        .values(
            subject=bindparam("w_subject"),
            key=bindparam("w_key"),
            endpoint=bindparam("endpoint"),
            body_hash=bindparam("body_hash"),
            state=IN_FLIGHT,
            created_at=bindparam("created_at"),
            expires_at=bindparam("expires_at"),
        )
        .on_conflict_do_nothing(index_elements=["subject", "key"])
        .returning(table.c.key),
        load=select(table).where(*where),
        delete=delete(table).where(*where),
        complete=update(table)
        .where(*where)
        .values(
            state=COMPLETED,
            response_status=bindparam("response_status"),
            response_body=bindparam("response_body"),
        ),
    )
    _statements[(table, dialect)] = statements
    return statements


def claim_statement(table: Table) -> PgInsert:
    """PostgreSQL: the ``INSERT ... ON CONFLICT DO NOTHING RETURNING key`` that takes a key
    (parameters: :meth:`IdempotencyGuard.claim_params`). A caller may put it in its own first
    statement as a data-modifying CTE (see :attr:`IdempotencyGuard.may_claim_later`)."""
    statement = _statements_for(table, "postgresql").insert
    assert isinstance(statement, PgInsert)
    return statement


def completion_statement(table: Table) -> Update:
    """The ``UPDATE`` that stores a response on its key row (parameters: :class:`Completion`).

    The same for every dialect. A caller may make it the main statement of its own write (its
    inserts as data-modifying CTEs on PostgreSQL), so that the change and the stored response
    take one round trip; it is built once, so the combined statement can be too.
    """
    return _statements_for(table, "postgresql").complete


@dataclass(frozen=True)
class Completion:
    """The response of a guarded call, ready to store: the bytes to answer with, and the
    parameters of :func:`completion_statement`."""

    content: bytes
    params: dict[str, Any]


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes

    def to_response(self, headers: dict[str, str] | None = None) -> Response:
        return Response(
            content=self.body,
            status_code=self.status,
            media_type="application/json",
            headers={REPLAYED_HEADER: "true", **(headers or {})},
        )


class IdempotencyGuard:
    """One guarded call: :meth:`begin` before the work, :meth:`complete` after it."""

    def __init__(
        self,
        session: AsyncSession,
        table: Table,
        *,
        subject: str,
        key: str,
        endpoint: str,
        body: Any,
        now: datetime | None = None,
    ) -> None:
        self.session = session
        self.table = table
        self.subject = subject
        self.key = key
        self.endpoint = endpoint
        self.hash = body_hash(body)
        self.now = now or utcnow()
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        self._sql = _statements_for(table, dialect)
        self._key = {"w_subject": subject, "w_key": key}
        # PostgreSQL: the caller may take the key in its own first statement, after its checks
        # (:func:`claim_statement`), and call :meth:`begin` only when that did not take it.
        # SQLite must write first (see :meth:`begin`), so it takes the key before any read.
        self.may_claim_later = dialect == "postgresql"

    async def begin(self) -> StoredResponse | None:
        """The stored response to replay, or ``None`` when this call does the work (key taken).

        The insert comes first, before any read: on SQLite a transaction that has read and then
        writes fails at once when another wrote meanwhile, while one that writes first waits
        for the lock; on PostgreSQL the insert waits for a concurrent holder of the key.
        """
        if await self._insert():
            return None
        existing = await self._load()
        if existing is not None and existing.expires_at <= self.now:
            await self.session.exec(self._sql.delete, params=self._key)
            if await self._insert():
                return None
            existing = await self._load()
        if existing is None:  # pragma: no cover - the holder rolled back between our statements
            raise Conflict("a request with this Idempotency-Key is in progress; retry")
        return self._replay(existing)

    async def complete(self, status: int, body: Any) -> bytes:
        """Store the response on the key row (same transaction as the change); its bytes."""
        done = self.completion(status, body)
        await self.session.exec(self._sql.complete, params=done.params)
        return done.content

    def completion(self, status: int, body: Any) -> Completion:
        """The response, for a caller that stores it itself (see :func:`completion_statement`)
        in the same transaction as the change, instead of calling :meth:`complete`."""
        content = orjson.dumps(body)
        params = {**self._key, "response_status": status, "response_body": content.decode()}
        return Completion(content, params)

    async def _load(self) -> Any:
        connection = await self.session.connection()
        result = await connection.execute(self._sql.load, self._key)
        return result.first()

    def claim_params(self) -> dict[str, Any]:
        """The parameters of :func:`claim_statement` for this call's key."""
        return {
            **self._key,
            "endpoint": self.endpoint,
            "body_hash": self.hash,
            "created_at": self.now,
            "expires_at": self.now + KEY_TTL,
        }

    async def _insert(self) -> bool:
        """Takes the key: ``INSERT ... ON CONFLICT DO NOTHING``, one statement, no savepoint.

        A concurrent holder of the key makes PostgreSQL wait for its transaction: if it
        commits, nothing is inserted here (we replay it); if it rolls back, we insert.
        """
        params = self.claim_params()
        result = await self.session.exec(self._sql.insert, params=params)  # type: ignore[call-overload]
        return result.first() is not None

    def _replay(self, row: Any) -> StoredResponse:
        if row.endpoint != self.endpoint or row.body_hash != self.hash:
            raise Unprocessable(
                "This Idempotency-Key was used with a different request body.",
                errors=[FieldError(field="Idempotency-Key", message="reused with another body")],
            )
        if row.state != COMPLETED or row.response_status is None:
            # Only possible inside the first call's own transaction; never committed this way.
            raise Conflict("a request with this Idempotency-Key is in progress; retry")
        return StoredResponse(status=int(row.response_status), body=row.response_body.encode())


async def purge_expired(session: AsyncSession, table: Table, now: datetime | None = None) -> int:
    """Delete expired keys (a periodic task); how many were removed."""
    result = await session.exec(delete(table).where(table.c.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


async def idempotent_response(
    session: AsyncSession,
    table: Table,
    *,
    subject: str,
    key: str | None,
    endpoint: str,
    body: BaseModel,
    produce: Callable[[], Awaitable[BaseModel]],
    status_code: int = 201,
    location: Callable[[dict[str, Any]], str] | None = None,
) -> Response:
    """Answer a ``POST`` once per ``Idempotency-Key``: the first call runs ``produce`` and
    stores its answer with the change; a retry with the same body gets that answer again
    (``location`` rebuilds the ``Location`` header from the stored body). Without a key the
    call simply runs. The route declares its ``response_model`` for the OpenAPI document."""
    guard: IdempotencyGuard | None = None
    if key is not None:
        guard = IdempotencyGuard(
            session,
            table,
            subject=subject,
            key=key,
            endpoint=endpoint,
            body=body.model_dump(mode="json"),
        )
        stored = await guard.begin()
        if stored is not None:
            replayed = orjson.loads(stored.body)
            return stored.to_response(_location(location, replayed))
    payload = (await produce()).model_dump(mode="json")
    content = (
        await guard.complete(status_code, payload) if guard is not None else orjson.dumps(payload)
    )
    return Response(
        content=content,
        status_code=status_code,
        media_type="application/json",
        headers=_location(location, payload),
    )


def _location(
    location: Callable[[dict[str, Any]], str] | None, payload: dict[str, Any]
) -> dict[str, str]:
    return {"Location": location(payload)} if location is not None else {}


PURGE_EVERY_SECONDS = 3600.0


def purge_hooks(
    table: Table, every_seconds: float = PURGE_EVERY_SECONDS
) -> tuple[Callable[[FastAPI], Awaitable[None]], Callable[[FastAPI], Awaitable[None]]]:
    """Start and stop hooks of a background task deleting expired keys of ``table`` every
    ``every_seconds`` (and once at start), on the app's own database."""
    task = BackgroundTask("idempotency-purge")

    async def start(app: FastAPI) -> None:
        database: Database = app.state.database

        async def purge() -> None:
            async for session in database.unit_of_work():
                purged = await purge_expired(session, table)
                if purged:
                    logger.info("idempotency keys purged", extra={"fields": {"n": purged}})

        task.start(every(every_seconds, purge, what="purging idempotency keys", logger=logger))

    async def stop(_app: FastAPI) -> None:
        await task.stop()

    return start, stop


@dataclass(frozen=True)
class Once:
    """A guarded ``POST`` of the request at hand (the caller, its key, the endpoint): a route
    takes one from :func:`once_per_key` and answers with :meth:`answer`."""

    session: AsyncSession
    table: Table
    subject: str
    key: str | None
    endpoint: str

    async def answer(
        self,
        body: BaseModel,
        produce: Callable[[], Awaitable[BaseModel]],
        *,
        status_code: int = 201,
        location: Callable[[dict[str, Any]], str] | None = None,
    ) -> Response:
        """:func:`idempotent_response` for this request."""
        return await idempotent_response(
            self.session,
            self.table,
            subject=self.subject,
            key=self.key,
            endpoint=self.endpoint,
            body=body,
            produce=produce,
            status_code=status_code,
            location=location,
        )


def once_per_key(table: Table) -> Any:
    """``Annotated[Once, once_per_key(TABLE)]``: the route's ``Idempotency-Key`` header, its
    caller and the request's unit of work (the same session the route's services use)."""

    async def dependency(
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal | None, Depends(optional_principal)],
        key: IdempotencyKeyHeader = None,
    ) -> Once:
        if principal is None:  # keys are per caller: there is none without a token
            raise Unauthorized("authentication required", headers={"WWW-Authenticate": "Bearer"})
        endpoint = f"{request.method} {request.url.path}"
        return Once(session, table, principal.subject, key, endpoint)

    return Depends(dependency)
