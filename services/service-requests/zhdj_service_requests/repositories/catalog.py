"""Queries on departments, categories and items, and the per-process cache of item facts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models import Category, Department, ServiceItem
from zhdj_shared.cache import DatabaseCache
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import name_search


@dataclass(frozen=True)
class ItemFilters:
    q: str | None = None  # Chinese, full pinyin or initials
    category_id: str | None = None
    department_id: str | None = None
    community_level: bool | None = None
    preset: str | None = None


# Items change only with a new catalog seed or an administrator's edit: a submission may use
# facts this old. ``invalidate_items()`` drops them at once (the seed calls it).
ITEM_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class ItemFacts:
    """What a submission needs of an item (an immutable copy, shared between requests)."""

    id: str
    name: str
    category_id: str
    department_id: str | None
    handler_kind: str
    respond_days: int
    resolve_days: int
    volunteer_post_kind: str | None
    active: bool

    @classmethod
    def of(cls, item: ServiceItem) -> ItemFacts:
        return cls(
            id=item.id,
            name=item.name,
            category_id=item.category_id,
            department_id=item.department_id,
            handler_kind=item.handler_kind,
            respond_days=item.respond_days,
            resolve_days=item.resolve_days,
            volunteer_post_kind=item.volunteer_post_kind,
            active=item.active,
        )


_item_facts: DatabaseCache[str, ItemFacts | None] = DatabaseCache(ITEM_CACHE_SECONDS)


def invalidate_items() -> None:
    """Forget every cached item fact (after the catalog changed)."""
    _item_facts.clear()


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def item(self, item_id: str) -> ServiceItem | None:
        return await self.session.get(ServiceItem, item_id)

    async def item_facts(self, item_id: str) -> ItemFacts | None:
        """The item's facts from the process cache (``ITEM_CACHE_SECONDS``), else the database."""
        cached, facts = _item_facts.get(self.session, item_id)
        if cached:
            return facts
        item = await self.session.get(ServiceItem, item_id)
        return _item_facts.put(self.session, item_id, ItemFacts.of(item) if item else None)

    async def department(self, department_id: str) -> Department | None:
        return await self.session.get(Department, department_id)

    async def item_by_preset(self, preset: str) -> ServiceItem | None:
        query = select(ServiceItem).where(
            col(ServiceItem.preset) == preset, col(ServiceItem.active).is_(True)
        )
        return (await self.session.exec(query.order_by(col(ServiceItem.id)))).first()

    async def departments(self, q: str | None) -> list[Department]:
        query = select(Department)
        if q:
            query = query.where(
                name_search(
                    col(Department.name),
                    col(Department.name_pinyin),
                    col(Department.name_initials),
                    q,
                )
            )
        return list((await self.session.exec(query.order_by(col(Department.name_pinyin)))).all())

    async def categories(self, community_level: bool | None) -> list[Category]:
        query = select(Category)
        if community_level is not None:
            query = query.where(col(Category.community_level).is_(community_level))
        order = (col(Category.sort_order), col(Category.id))
        return list((await self.session.exec(query.order_by(*order))).all())

    async def items_page(
        self, filters: ItemFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[ServiceItem], str | None]:
        order = (col(ServiceItem.name_pinyin), col(ServiceItem.id))
        query = select(ServiceItem).where(*_item_conditions(filters))
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 2)))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda i: (i.name_pinyin, i.id))


def _item_conditions(filters: ItemFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(ServiceItem.active).is_(True)]
    if filters.q:
        conditions.append(
            name_search(
                col(ServiceItem.name),
                col(ServiceItem.name_pinyin),
                col(ServiceItem.name_initials),
                filters.q,
            )
        )
    if filters.category_id is not None:
        conditions.append(col(ServiceItem.category_id) == filters.category_id)
    if filters.department_id is not None:
        conditions.append(col(ServiceItem.department_id) == filters.department_id)
    if filters.community_level is not None:
        conditions.append(col(ServiceItem.community_level).is_(filters.community_level))
    if filters.preset is not None:
        conditions.append(col(ServiceItem.preset) == filters.preset)
    return conditions
