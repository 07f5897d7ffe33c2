"""Queries on units and their coverage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Unit
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import name_search


@dataclass(frozen=True)
class UnitFilters:
    within: str | None = None  # path prefix of the supervising organization's subtree
    kind: str | None = None
    sector: str | None = None
    area_code: str | None = None
    coverage: str | None = None
    name: str | None = None
    include_inactive: bool = False


@dataclass(frozen=True)
class CoverageRow:
    key: str | None
    label: str | None
    units: int
    organization: int
    work: int


def work_covered() -> ColumnElement[bool]:
    """Work coverage: no organization of its own, but a joint organization or an instructor
    (also counted by the statistics, ``repositories.statistics``)."""
    return and_(
        col(Unit.own_org_id).is_(None),
        or_(col(Unit.covering_org_id).is_not(None), col(Unit.instructor_name).is_not(None)),
    )


def coverage_condition(coverage: str) -> ColumnElement[bool]:
    if coverage == "organization":
        return col(Unit.own_org_id).is_not(None)
    if coverage == "work":
        return work_covered()
    return and_(
        col(Unit.own_org_id).is_(None),
        col(Unit.covering_org_id).is_(None),
        col(Unit.instructor_name).is_(None),
    )


class UnitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, unit_id: str) -> Unit | None:
        return await self.session.get(Unit, unit_id)

    def add(self, unit: Unit) -> None:
        self.session.add(unit)

    async def with_credit_code(self, code: str, *, exclude_id: str | None = None) -> Unit | None:
        query = select(Unit).where(col(Unit.credit_code) == code)
        if exclude_id is not None:
            query = query.where(col(Unit.id) != exclude_id)
        return (await self.session.exec(query.limit(1))).first()

    async def list_page(
        self, filters: UnitFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Unit], str | None]:
        order = (col(Unit.name_pinyin), col(Unit.id))
        query = select(Unit)
        for condition in self._conditions(filters):
            query = query.where(condition)
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 2)))
        result = await self.session.exec(query.order_by(*order).limit(limit + 1))
        return build_page(result.all(), limit, lambda u: (u.name_pinyin, u.id))

    def _conditions(self, filters: UnitFilters) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if not filters.include_inactive:
            conditions.append(col(Unit.status) == "active")
        if filters.within is not None:
            conditions.append(
                col(Unit.supervising_org_path).startswith(filters.within, autoescape=True)
            )
        for column, value in (
            (Unit.kind, filters.kind),
            (Unit.sector, filters.sector),
            (Unit.area_code, filters.area_code),
        ):
            if value is not None:
                conditions.append(col(column) == value)
        if filters.coverage is not None:
            conditions.append(coverage_condition(filters.coverage))
        if filters.name:
            conditions.append(
                name_search(
                    col(Unit.name), col(Unit.name_pinyin), col(Unit.name_initials), filters.name
                )
            )
        return conditions

    async def coverage(self, within: str | None, by: str) -> list[CoverageRow]:
        """Active units per sector or area, with how many are organization / work covered."""
        key = col(Unit.sector) if by == "sector" else col(Unit.area_code)
        organization = func.sum(case((col(Unit.own_org_id).is_not(None), 1), else_=0))
        work = func.sum(case((work_covered(), 1), else_=0))
        query = select(key, func.count(), organization, work).where(col(Unit.status) == "active")
        if within is not None:
            query = query.where(col(Unit.supervising_org_path).startswith(within, autoescape=True))
        rows = (await self.session.exec(query.group_by(key).order_by(key))).all()
        labels = await self._area_names(within) if by == "area" else {}
        return [
            CoverageRow(
                key=k, label=labels.get(k), units=n, organization=int(o or 0), work=int(w or 0)
            )
            for k, n, o, w in rows
        ]

    async def _area_names(self, within: str | None) -> dict[str | None, str | None]:
        query = select(col(Unit.area_code), func.max(col(Unit.area_name))).where(
            col(Unit.status) == "active"
        )
        if within is not None:
            query = query.where(col(Unit.supervising_org_path).startswith(within, autoescape=True))
        rows = (await self.session.exec(query.group_by(col(Unit.area_code)))).all()
        return dict(rows)
