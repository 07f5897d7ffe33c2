"""Set-at-a-time lookups and writes for bulk import and export (chunked ``IN`` lists, one Core
``INSERT`` executed for all rows, keyset batches)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from zhdj_registry.models import Member, Organization
from zhdj_shared.pagination import after_cursor

# Well under SQLite's and asyncpg's limits on bound parameters per statement.
CHUNK = 1000
EXPORT_BATCH = 2000

M = TypeVar("M", bound=SQLModel)


def chunks(values: Iterable[str]) -> list[list[str]]:
    items = sorted(set(values))
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


class BulkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def organizations(self, ids: Iterable[str]) -> dict[str, Organization]:
        found: dict[str, Organization] = {}
        for chunk in chunks(ids):
            query = select(Organization).where(col(Organization.id).in_(chunk))
            found.update({o.id: o for o in (await self.session.exec(query)).all()})
        return found

    async def members(self, ids: Iterable[str]) -> dict[str, Member]:
        found: dict[str, Member] = {}
        for chunk in chunks(ids):
            query = select(Member).where(col(Member.id).in_(chunk))
            found.update({m.id: m for m in (await self.session.exec(query)).all()})
        return found

    async def existing_values(self, column: Any, values: Iterable[str]) -> set[str]:
        """Which of these values the column already holds (any row, active or not)."""
        found: set[str] = set()
        for chunk in chunks(values):
            query = select(col(column)).where(col(column).in_(chunk))
            found.update(str(v) for v in (await self.session.exec(query)).all())
        return found

    async def active_child_names(
        self, parent_ids: Iterable[str | None]
    ) -> set[tuple[str | None, str]]:
        """``(parent_id, name)`` of the active children of these parents (``None``: roots)."""
        ids = [p for p in parent_ids if p is not None]
        pairs: set[tuple[str | None, str]] = set()
        active = col(Organization.status) == "active"
        for chunk in chunks(ids):
            query = select(Organization.parent_id, Organization.name).where(
                col(Organization.parent_id).in_(chunk), active
            )
            pairs.update((p, n) for p, n in (await self.session.exec(query)).all())
        if None in parent_ids:
            roots = select(Organization.name).where(col(Organization.parent_id).is_(None), active)
            pairs.update((None, n) for n in (await self.session.exec(roots)).all())
        return pairs

    async def insert(self, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
        """One Core ``INSERT`` executed for all rows (executemany) of plain column values.

        Core, not the ORM's bulk insert: the ORM leaves out a row's ``None`` values (so that
        column defaults apply) and groups rows by the columns they keep, so a file whose
        optional cells are filled unevenly became one statement per short run of alike rows
        (100,000 organizations with optional phone and date: ~40,000 round trips, most of the
        import's time; bench/registry_scale.py). Every row here has every column."""
        if rows:
            table = model.__table__  # type: ignore[attr-defined]
            connection = await self.session.connection()
            await connection.execute(insert(table), list(rows))

    async def batches(
        self, query: SelectOfScalar[M], order: Sequence[Any], key: Callable[[M], Sequence[Any]]
    ) -> AsyncIterator[Sequence[M]]:
        """The query's rows in ``order`` (unique, ``key`` gives a row's values), in batches."""
        last: Sequence[Any] | None = None
        while True:
            page = query if last is None else query.where(after_cursor(order, last))
            rows = (await self.session.exec(page.order_by(*order).limit(EXPORT_BATCH))).all()
            if not rows:
                return
            yield rows
            if len(rows) < EXPORT_BATCH:
                return
            last = key(rows[-1])

    def subtree_batches(self, root_path: str | None) -> AsyncIterator[Sequence[Organization]]:
        """Active organizations of a subtree (or all), parents before children, in batches."""
        query = select(Organization).where(col(Organization.status) == "active")
        if root_path is not None:
            query = query.where(col(Organization.path).startswith(root_path, autoescape=True))
        order = (col(Organization.depth), col(Organization.name_pinyin), col(Organization.id))
        return self.batches(query, order, lambda o: (o.depth, o.name_pinyin, o.id))
