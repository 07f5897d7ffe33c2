"""Queries on indicator systems and their indicators."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_assessment.models import Indicator, IndicatorSystem
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor


class SystemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, system_id: str) -> IndicatorSystem | None:
        return await self.session.get(IndicatorSystem, system_id)

    async def list_page(
        self, limit: int, cursor: str | None
    ) -> tuple[list[IndicatorSystem], str | None]:
        """By code, then version."""
        columns = [col(IndicatorSystem.code), col(IndicatorSystem.version)]
        query = select(IndicatorSystem).order_by(*columns).limit(limit + 1)
        if cursor is not None:
            code, version = decode_cursor(cursor, 2)
            query = query.where(after_cursor(columns, [str(code), int(version)]))
        rows = list((await self.session.exec(query)).all())
        return build_page(rows, limit, lambda s: [s.code, s.version])

    async def latest_version(self, code: str) -> int:
        query = select(func.max(col(IndicatorSystem.version))).where(
            col(IndicatorSystem.code) == code
        )
        return int((await self.session.exec(query)).one() or 0)

    async def indicators(self, system_id: str) -> list[Indicator]:
        query = (
            select(Indicator)
            .where(col(Indicator.system_id) == system_id)
            .order_by(col(Indicator.sort_order), col(Indicator.code))
        )
        return list((await self.session.exec(query)).all())

    async def add(self, system: IndicatorSystem, indicators: list[Indicator]) -> None:
        self.session.add(system)
        await self.session.flush()
        self.session.add_all([i for i in indicators if i.parent_id is None])
        await self.session.flush()
        self.session.add_all([i for i in indicators if i.parent_id is not None])
        await self.session.flush()
