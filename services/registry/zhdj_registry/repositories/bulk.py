"""Set-at-a-time lookups for bulk import and export (chunked ``IN`` lists, keyset batches)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Organization
from zhdj_shared.pagination import after_cursor

# Well under SQLite's and asyncpg's limits on bound parameters per statement.
CHUNK = 1000
EXPORT_BATCH = 2000


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

    async def subtree_batches(self, root_path: str | None) -> AsyncIterator[Sequence[Organization]]:
        """Active organizations of a subtree (or all), parents before children, in batches."""
        order = (col(Organization.depth), col(Organization.name_pinyin), col(Organization.id))
        last: tuple[int, str, str] | None = None
        while True:
            query = select(Organization).where(col(Organization.status) == "active")
            if root_path is not None:
                query = query.where(col(Organization.path).startswith(root_path, autoescape=True))
            if last is not None:
                query = query.where(after_cursor(order, last))
            rows = (await self.session.exec(query.order_by(*order).limit(EXPORT_BATCH))).all()
            if not rows:
                return
            yield rows
            tail = rows[-1]
            last = (tail.depth, tail.name_pinyin, tail.id)
