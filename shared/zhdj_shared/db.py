"""Async engine and unit-of-work session for SQLite (aiosqlite) and PostgreSQL (asyncpg).

The pitfalls this module handles (see docs/decisions/0003-database.md):

* aiosqlite's driver opens transactions by itself and ignores SAVEPOINT semantics unless the
  connection runs in autocommit mode and SQLAlchemy emits ``BEGIN``; without that, test isolation
  silently leaks rows on SQLite. Foreign keys are off in SQLite unless asked for.
* ``expire_on_commit=False``: reading an attribute after commit must not trigger lazy IO.
* The request's unit of work commits *before* the response is sent, so a failed commit is an
  error response rather than a 200 for data that was never stored.
* A ``GET`` (or ``HEAD``) reads without a transaction: each statement commits by itself, which
  for reads at READ COMMITTED is what a transaction would give (every statement sees what was
  committed when it began) minus the ``BEGIN`` and ``COMMIT`` round trips. Such a unit of work
  refuses to write (:class:`WriteInReadOnlyUnitOfWork`, a loud 500), so a read that starts
  writing is found by the first test that calls it.
* A database that does not answer shows as several exception types (asyncpg's mid-query losses
  are plain ``DBAPIError``s, a refused connection a raw ``OSError``): :func:`database_unavailable`
  is the one test for all of them (answered 503 by ``zhdj_shared.errors``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

# Alembic needs stable constraint names to alter tables later (and SQLite batch mode needs
# names to drop anything at all).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def service_metadata() -> MetaData:
    """A metadata of one's own for a service's tables.

    Each service declares ``class <Service>Model(SQLModel, registry=registry(metadata=
    service_metadata()))`` and its tables inherit from that base: services own their data, and
    their tables never meet in one metadata (two services may both have an ``attachments``
    table, and a test process imports them all).
    """
    return MetaData(naming_convention=NAMING_CONVENTION)


# JSON stored as JSONB on PostgreSQL. Assign a new dict to change it: in-place edits are not saved.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored with its zone on PostgreSQL and as UTC on SQLite, always read back aware.

    asyncpg refuses aware values in ``timestamp without time zone`` columns while SQLite accepts
    anything; one type for every timestamp keeps the two databases behaving alike.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored time must carry its offset")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# PostgreSQL SQLSTATEs of a server that cannot serve right now: class 08 (connection exception),
# 57P01-57P03 (shutting down, crashed, starting up: what a restart answers), 53300 (too many
# connections). A retry shortly after will likely work.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# Class 22 (data exception): a value the database cannot store (a NUL character in text, a string
# longer than its column, a number out of range) - the request's fault, not the database's.
_DATA_SQLSTATE_CLASS = "22"


def _sqlstate(exc: sa_exc.DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or "")


def database_unavailable(exc: BaseException) -> bool:
    """The database did not answer, so nothing was committed and a retry will likely work.

    SQLAlchemy's ``OperationalError`` and ``InterfaceError`` (SQLite busy beyond its timeout, a
    connection refused, see ``_connect_errors_as_dbapi_errors``), a connection found dead in the
    middle of a statement (``connection_invalidated``: asyncpg reports it as a plain
    ``DBAPIError``), a server shutting down or starting up, and no pooled connection in time.
    """
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection within pool_timeout
        return True
    if not isinstance(exc, sa_exc.DBAPIError) or isinstance(exc, sa_exc.IntegrityError):
        return False
    if exc.connection_invalidated or isinstance(
        exc, (sa_exc.OperationalError, sa_exc.InterfaceError)
    ):
        return True
    return _sqlstate(exc).startswith(_UNAVAILABLE_SQLSTATES)


def unstorable_value(exc: BaseException) -> bool:
    """The database refused a value of the request (PostgreSQL's data exceptions, class 22)."""
    return isinstance(exc, sa_exc.DBAPIError) and _sqlstate(exc).startswith(_DATA_SQLSTATE_CLASS)


POOL_SIZE = 20
POOL_TIMEOUT_SECONDS = 30.0


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = POOL_SIZE,
    pool_timeout: float = POOL_TIMEOUT_SECONDS,
) -> AsyncEngine:
    """An engine with the per-driver settings that make both databases behave alike."""
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=pool_timeout,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        # No overflow: an overflow connection is opened for one request and closed on return,
        # so under steady concurrency above the pool size every request paid a new connection
        # (TCP, SSL negotiation, startup) - measured as the registry's main cost under load.
        # Requests beyond the pool wait for a connection instead (pool_timeout).
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        # No pool_pre_ping: on asyncpg it is three round trips per checkout (BEGIN, ";",
        # ROLLBACK), a third of a submission's. See _replace_closed_connections instead.
        pool_recycle=1800,
    )
    _replace_closed_connections(engine)
    _connect_errors_as_dbapi_errors(engine)
    return engine


def _replace_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection the server has closed is replaced at checkout, with no round trip.

    A restarted (or failed-over) PostgreSQL closes every connection; asyncpg sees each socket
    close while the connection idles in the pool and marks it closed. At checkout such a
    connection is refused (``DisconnectionError``): the pool then opens a new one in its place,
    as ``pool_pre_ping`` would, without pinging the live ones. A connection that dies while
    in use fails its statement (503, the client retries) and is invalidated, as before.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


def _connect_errors_as_dbapi_errors(engine: AsyncEngine) -> None:
    """asyncpg raises a refused or unreachable server as a bare ``OSError`` (``TimeoutError`` is
    one), which SQLAlchemy passes through unwrapped; made an ``OperationalError`` here, it is
    answered like every other lost connection instead of as an unexpected 500."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except OSError as exc:
            dbapi: Any = dialect.loaded_dbapi
            raise dbapi.OperationalError(f"cannot connect to the database: {exc}") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # WAL lets readers proceed while one writer writes: the embedded default serves
        # several concurrent requests.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(_READ_ONLY_OPTION):
            return  # autocommit: every statement on its own (see the module docstring)
        immediate = options.get(_WRITER_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# A read-only unit of work's connections: no transaction, and no write (see Database).
_READ_ONLY_OPTION = "zhdj_read_only"
_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "TRUNCATE")


class WriteInReadOnlyUnitOfWork(RuntimeError):
    """A statement that writes ran in a request's read-only unit of work (a GET): a bug."""


def _refuse_writes_when_read_only(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _check(
        connection: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        if not connection.get_execution_options().get(_READ_ONLY_OPTION):
            return
        compiled_write = context is not None and (
            context.isinsert or context.isupdate or context.isdelete
        )
        if compiled_write or statement.lstrip()[:8].upper().startswith(_WRITES):
            raise WriteInReadOnlyUnitOfWork(
                f"a read-only unit of work (GET or HEAD) tried to write: {statement[:200]}"
            )


# A session's connection option: its SQLite transaction begins IMMEDIATE (see claim_writer).
_WRITER_OPTION = "zhdj_sqlite_writer"


async def claim_writer(session: AsyncSession) -> None:
    """Make the session's transaction a writer from its first statement, on SQLite.

    SQLite in WAL mode lets a transaction read from a snapshot and upgrades it to a writer at its
    first write; if another transaction committed a write in between, the snapshot is stale and
    the upgrade fails at once with "database is locked" (the busy timeout does not apply). A unit
    of work that reads, then spends time (a password hash, ~0.1 s), then writes, thus failed with
    a 503 whenever any other write landed meanwhile: two registrations of one username were two
    503s instead of a 201 and a 409. ``BEGIN IMMEDIATE`` takes the write lock first, so concurrent
    writers queue (up to the busy timeout) and each sees what the previous one committed.
    PostgreSQL ignores the option (its rows are locked as they are written).

    Call before the session's first statement; afterwards (or on a session bound to a test's
    outer transaction) it changes nothing.
    """
    if not session.in_transaction():
        await session.connection(execution_options={_WRITER_OPTION: True})


class Database:
    """One engine and its session factory; each app holds one in ``app.state.database``."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = POOL_SIZE,
        pool_timeout: float = POOL_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo, pool_size=pool_size, pool_timeout=pool_timeout)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # The same pool, its connections in autocommit while a read-only unit of work holds
        # them. asyncpg: the AUTOCOMMIT level, so no BEGIN/COMMIT is sent. SQLite's driver runs
        # in autocommit already (see _configure_sqlite) and the begin hook sends no BEGIN for
        # them; its AUTOCOMMIT level would be undone on return to the pool by a reset to the
        # driver's implicit transactions, which break SAVEPOINTs.
        levels = {} if self.engine.dialect.name == "sqlite" else {"isolation_level": "AUTOCOMMIT"}
        readers = self.engine.execution_options(**levels, **{_READ_ONLY_OPTION: True})
        self.read_sessionmaker = async_sessionmaker(
            readers, class_=AsyncSession, expire_on_commit=False
        )
        _refuse_writes_when_read_only(self.engine)

    async def unit_of_work(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session that commits when the request's work succeeded and rolls back otherwise.

        Services only ``flush()``; this is the single place that commits. ``read_only``: no
        transaction at all, and any write refused (what a GET gets).
        """
        sessionmaker = self.read_sessionmaker if read_only else self.sessionmaker
        async with sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()


# Methods that must not change anything (RFC 9110): their unit of work is read-only.
SAFE_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work (FastAPI dependency); tests override it to isolate each test.
    A GET or HEAD gets a read-only one (no transaction, no write)."""
    database: Database = request.app.state.database
    async for session in database.unit_of_work(read_only=request.method in SAFE_METHODS):
        yield session


# ``scope="function"``: FastAPI 0.118+ would otherwise run the commit after the response is sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_writer_session(session: SessionDep) -> AsyncSession:
    """The request's unit of work, a writer from its first statement (:func:`claim_writer`): for
    routes that read, do slow work and then write. Built on ``get_session``, so a test's override
    of that one applies here too."""
    await claim_writer(session)
    return session


WriterSessionDep = Annotated[AsyncSession, Depends(get_writer_session, scope="function")]
