"""Following the registry's organization moves, so the paths a service copied follow the tree.

Services copy an organization's materialized path onto their own rows (a request's
``handling_path``, an activity's ``owner_path``, an assessment target's ``path``): a subtree's
rows are then one indexed prefix scan and reads authorize without calling the registry. When the
registry moves a subtree it rewrites its own paths and appends a line to its moves log
(``GET /api/registry/organizations/moves?after=``, platform services only). Every service
follows that log the same way, with this module (docs/decisions/0009-moves.md):

* a background task per process (:func:`follow_moves`, started by the app's lifespan) polls the
  log every ``ZHDJ_<P>_MOVES_POLL_SECONDS`` through the process's :class:`RegistryClient`;
* for each batch of moves, in ONE unit of work: the service's cursor (a one-row table of its own
  database, :func:`moves_cursor_table`) is advanced and every registered column
  (:class:`CopiedPath`) whose value starts with a move's old path gets the new path instead
  (a prefix replace in SQL, the same on SQLite and PostgreSQL). A crash between the two is
  impossible: the rewrite and the cursor commit together or not at all;
* the cursor's update is guarded (``WHERE seq <= :last``, the first statement, so it also takes
  the row's lock): a follower that is behind another never applies an old batch over a newer
  state (a subtree moved away and back would be moved away again), it skips and reads again;
* a batch always runs from this process's own last-seen move to the newest one, even when
  another replica already applied part of it: replaying a contiguous run of the log that ends at
  the newest move leaves rows that are already current unchanged (a prefix matches only rows
  still under the moved organization's old position, and the rest of the run carries them back),
  and it corrects rows this process wrote meanwhile from its stale cache (a process more than a
  page behind replays only the page that reaches the cursor). The process's
  :class:`RegistryClient` cache forgets the moved organizations as soon as it reads them;
* the registry (or the database) being down only delays: the round is logged and the next one
  retries. Nothing else in the service waits for it.

The consistency window is the poll interval (plus the time of one round): until then a moved
subtree's rows answer its old position, as the registry client's cache did before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_shared.app import StartupHook
from zhdj_shared.background import BackgroundTask, every
from zhdj_shared.db import Database, UTCDateTime, claim_writer, utcnow
from zhdj_shared.errors import ServiceUnavailable
from zhdj_shared.registry_client import RegistryClient

logger = logging.getLogger(__name__)

MOVES_PATH = "/api/registry/organizations/moves"
PAGE = 100
CURSOR_TABLE = "moves_cursor"
CURSOR_ROW = 1  # the table has this one row

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]
MovesListener = Callable[[Sequence["Move"]], None]


@dataclass(frozen=True)
class Move:
    """One line of the registry's moves log (its paths: ``/root/.../org/``)."""

    seq: int
    organization_id: str
    old_path: str
    new_path: str


@dataclass(frozen=True)
class CopiedPath:
    """A column of this service's holding copies of registry paths.

    ``leading_slash``: the registry writes ``/root/a/``; a service that stores ``root/a/``
    (activity, assessment) says ``False`` and the move's paths are rewritten in its form.
    """

    model: type[SQLModel]
    name: str  # the column's attribute on the model
    leading_slash: bool = True
    column: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Fails at import time, not at the first move, when a model loses the column.
        object.__setattr__(self, "column", getattr(self.model, self.name))

    def in_form(self, registry_path: str) -> str:
        return registry_path if self.leading_slash else registry_path.removeprefix("/")


def moves_cursor_table(metadata: MetaData) -> Table:
    """The ``moves_cursor`` table on a service's own metadata (once per metadata): one row,
    the ``seq`` of the last move applied to this database."""
    if CURSOR_TABLE in metadata.tables:
        return metadata.tables[CURSOR_TABLE]
    return Table(
        CURSOR_TABLE,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", Integer, nullable=False),
        Column("applied_at", UTCDateTime(), nullable=True),
    )


async def fetch_moves(
    registry: RegistryClient, after: int, limit: int = PAGE
) -> tuple[list[Move], bool]:
    """The log's moves after ``after`` (at most ``limit``) and whether more follow; the
    registry unreachable or refusing is :class:`ServiceUnavailable`."""
    body = await registry.get_json(MOVES_PATH, {"after": after, "limit": limit})
    if not isinstance(body, dict):  # a 404: a registry older than its moves log
        raise ServiceUnavailable("the registry has no moves log")
    moves = [
        Move(
            seq=int(item["seq"]),
            organization_id=str(item["organization_id"]),
            old_path=str(item["old_path"]),
            new_path=str(item["new_path"]),
        )
        for item in body["items"]
    ]
    return moves, bool(body.get("more"))


async def read_cursor(session: AsyncSession, cursor: Table) -> int:
    """The ``seq`` of the last move applied here (0: none yet)."""
    query = select(cursor.c.seq).where(cursor.c.id == CURSOR_ROW)
    found = (await session.exec(query)).first()  # type: ignore[call-overload]
    return 0 if found is None else int(found[0])


async def _advance(session: AsyncSession, cursor: Table, last: int) -> bool:
    """Set the cursor to ``last`` unless it is already past it; the first statement of the
    unit of work, so on PostgreSQL it holds the row's lock until the rewrite commits (a second
    follower waits, then sees the new value and skips)."""
    values = {"seq": last, "applied_at": utcnow()}
    guarded = update(cursor).where(cursor.c.id == CURSOR_ROW, cursor.c.seq <= last).values(**values)
    result = await session.exec(guarded)
    if int(getattr(result, "rowcount", 0) or 0):
        return True
    query = select(cursor.c.seq).where(cursor.c.id == CURSOR_ROW)
    if (await session.exec(query)).first() is not None:  # type: ignore[call-overload]
        return False  # another follower is further on
    # No row (the migration writes it; a database made otherwise): the first batch adds it.
    await session.exec(insert(cursor).values(id=CURSOR_ROW, **values))
    return True


async def rewrite_prefix(session: AsyncSession, path: CopiedPath, move: Move) -> int:
    """Every value of ``path`` under the move's old position, moved: ``new + remainder``.
    Returns the number of rows changed (0 when the move was applied already)."""
    old, new = path.in_form(move.old_path), path.in_form(move.new_path)
    column = path.column
    statement = (
        update(path.model)
        .where(column.startswith(old, autoescape=True))
        .values({column: new + func.substr(column, len(old) + 1)})
        .execution_options(synchronize_session=False)
    )
    result = await session.exec(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def apply_moves(
    session: AsyncSession, cursor: Table, paths: Sequence[CopiedPath], moves: Sequence[Move]
) -> bool:
    """Advance the cursor to the last of ``moves`` and rewrite ``paths`` for each, in order, in
    the session's unit of work. ``False`` (nothing written) when the cursor is already past
    them: the caller reads the log again from where it is."""
    if not moves:
        return True
    if not await _advance(session, cursor, moves[-1].seq):
        return False
    for move in moves:
        for path in paths:
            await rewrite_prefix(session, path, move)
    return True


@dataclass
class MovesFollower:
    """The moves log followed by one process, onto its own database."""

    sessions: SessionFactory
    registry: RegistryClient
    cursor: Table
    paths: Sequence[CopiedPath]
    listeners: Sequence[MovesListener] = ()
    page: int = PAGE
    # The last move this process has seen (its cache forgot it, its rows were rewritten for
    # it): None until the first round, which starts from the database's cursor.
    seen: int | None = None

    async def poll(self) -> int:
        """One round: every move after this process's last seen one, applied. Returns how
        many moves this process applied (0: nothing new, or another follower is ahead)."""
        applied = 0
        while True:
            async with self.sessions() as session:
                stored = await read_cursor(session, self.cursor)
            after = stored if self.seen is None else min(self.seen, stored)
            moves, more = await fetch_moves(self.registry, after, self.page)
            if not moves:
                self.seen = after
                return applied
            self._forget(moves)
            if moves[-1].seq < stored:
                # All applied by another follower, and more of them follow: a replay must end
                # at the cursor (see the module docstring), so this page is only seen.
                self.seen = moves[-1].seq
                continue
            async with self.sessions() as session:
                await claim_writer(session)
                done = await apply_moves(session, self.cursor, self.paths, moves)
            if not done:
                return applied  # the next round reads from the newer cursor
            self.seen = moves[-1].seq
            applied += len(moves)
            logger.info(
                "organization moves applied",
                extra={"fields": {"moves": len(moves), "cursor": self.seen}},
            )
            if not more:
                return applied

    def _forget(self, moves: Sequence[Move]) -> None:
        """What this process cached about the moved organizations goes at once, before the
        rewrite: what it writes from now on carries the new paths."""
        self.registry.forget_organizations(m.organization_id for m in moves)
        for listener in self.listeners:
            listener(moves)

    async def run(self, interval: float) -> None:
        """Rounds every ``interval`` seconds until cancelled; a failed round is logged and the
        next one retries (the registry down only delays the rewrite)."""
        await every(
            interval,
            self._round,
            what="applying organization moves",
            logger=logger,
            first_at_once=False,
        )

    async def _round(self) -> None:
        try:
            await self.poll()
        except ServiceUnavailable as exc:  # expected now and then: a warning, not a trace
            logger.warning(
                "organization moves not read, retrying", extra={"fields": {"error": str(exc)}}
            )


def database_sessions(database: Database) -> SessionFactory:
    """Each use is one unit of work on ``database`` (committed when the block succeeds)."""
    return asynccontextmanager(database.unit_of_work)


def follow_moves(
    cursor: Table, paths: Sequence[CopiedPath], *, listeners: Sequence[MovesListener] = ()
) -> tuple[StartupHook, StartupHook]:
    """Start and stop hooks (``on_startup``, ``on_shutdown``) of the app's moves follower, on
    ``app.state.database`` and ``app.state.registry``, every ``moves_poll_seconds`` of its
    settings (0: not started)."""
    task = BackgroundTask("moves-follower")

    async def start(app: FastAPI) -> None:
        interval = float(app.state.settings.moves_poll_seconds)
        if interval <= 0:
            return
        follower = MovesFollower(
            database_sessions(app.state.database),
            app.state.registry,
            cursor,
            paths,
            listeners=listeners,
        )
        app.state.moves_follower = follower
        task.start(follower.run(interval))

    async def stop(_app: FastAPI) -> None:
        await task.stop()

    return start, stop
