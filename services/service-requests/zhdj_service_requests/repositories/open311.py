"""Queries of the Open311 interface: the catalog as services, requests by the standard filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models import Category, Department, ServiceItem, ServiceRequest

# (item, its category's name, its department's name or None)
ItemRow = tuple[ServiceItem, str, str | None]


@dataclass(frozen=True)
class Open311Filters:
    numbers: Sequence[str] = field(default_factory=tuple)  # overrides every other filter
    item_ids: Sequence[str] = field(default_factory=tuple)
    start: datetime | None = None
    end: datetime | None = None
    is_open: bool | None = None


class Open311Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def items(self, item_ids: Sequence[str] | None = None) -> list[ItemRow]:
        """Active items with their category and department names, in catalog order."""
        query = (
            select(ServiceItem, Category.name, Department.name)
            .join(Category, col(Category.id) == col(ServiceItem.category_id))
            .outerjoin(Department, col(Department.id) == col(ServiceItem.department_id))
            .where(col(ServiceItem.active).is_(True))
            .order_by(col(Category.sort_order), col(ServiceItem.name_pinyin), col(ServiceItem.id))
        )
        if item_ids is not None:
            query = query.where(col(ServiceItem.id).in_(item_ids))
        return [(item, category, dept) for item, category, dept in await self.session.exec(query)]

    async def requests(self, filters: Open311Filters, limit: int) -> list[ServiceRequest]:
        """Newest first. Numbers select exactly those requests; else the other filters apply."""
        query = select(ServiceRequest)
        if filters.numbers:
            query = query.where(
                or_(
                    col(ServiceRequest.number).in_(filters.numbers),
                    col(ServiceRequest.id).in_(filters.numbers),
                )
            )
        else:
            if filters.item_ids:
                query = query.where(col(ServiceRequest.item_id).in_(filters.item_ids))
            if filters.start is not None:
                query = query.where(col(ServiceRequest.created_at) >= filters.start)
            if filters.end is not None:
                query = query.where(col(ServiceRequest.created_at) <= filters.end)
            if filters.is_open is not None:
                query = query.where(col(ServiceRequest.is_open).is_(filters.is_open))
        query = query.order_by(col(ServiceRequest.id).desc()).limit(limit)
        return list((await self.session.exec(query)).all())

    async def request(self, number_or_id: str) -> ServiceRequest | None:
        """By its public number (``SR20261127-000123``), or by its id (the POST token)."""
        query = select(ServiceRequest).where(
            or_(col(ServiceRequest.number) == number_or_id, col(ServiceRequest.id) == number_or_id)
        )
        return (await self.session.exec(query)).first()
