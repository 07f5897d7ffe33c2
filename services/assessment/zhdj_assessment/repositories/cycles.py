"""Queries on cycles, their targets and results, scores, appeals and score changes."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_assessment.models import Appeal, Cycle, CycleTarget, Score, ScoreChange
from zhdj_shared.pagination import build_page, decode_cursor


class CycleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def flush(self) -> None:
        await self.session.flush()

    async def add(self, row: Cycle | CycleTarget | Score | Appeal | ScoreChange) -> None:
        self.session.add(row)
        await self.session.flush()

    async def add_all(self, rows: list[CycleTarget] | list[Score]) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def get(self, cycle_id: str) -> Cycle | None:
        return await self.session.get(Cycle, cycle_id)

    async def list_page(
        self, statuses: list[str] | None, limit: int, cursor: str | None
    ) -> tuple[list[Cycle], str | None]:
        """Newest first (ids are time-ordered)."""
        query = select(Cycle).order_by(col(Cycle.id).desc()).limit(limit + 1)
        if statuses is not None:
            query = query.where(col(Cycle.status).in_(statuses))
        if cursor is not None:
            (last,) = decode_cursor(cursor, 1)
            query = query.where(col(Cycle.id) < str(last))
        rows = list((await self.session.exec(query)).all())
        return build_page(rows, limit, lambda c: [c.id])

    async def targets(self, cycle_id: str) -> list[CycleTarget]:
        query = (
            select(CycleTarget)
            .where(col(CycleTarget.cycle_id) == cycle_id)
            .order_by(col(CycleTarget.target_id))
        )
        return list((await self.session.exec(query)).all())

    async def latest_published(self, target_kind: str) -> Cycle | None:
        query = (
            select(Cycle)
            .where(col(Cycle.status) == "published", col(Cycle.target_kind) == target_kind)
            .order_by(col(Cycle.published_at).desc(), col(Cycle.id).desc())
            .limit(1)
        )
        return (await self.session.exec(query)).first()

    async def published_alliance_results(
        self, year: int, quarter: int | None
    ) -> dict[str, tuple[Cycle, CycleTarget]]:
        """Graded alliance results of published cycles of this period (the latest published
        cycle wins when several assess the same alliance), by alliance id."""
        query = (
            select(Cycle, CycleTarget)
            .join(CycleTarget, col(CycleTarget.cycle_id) == col(Cycle.id))
            .where(
                col(Cycle.status) == "published",
                col(Cycle.target_kind) == "alliance",
                col(Cycle.year) == year,
                col(CycleTarget.grade).is_not(None),
            )
        )
        query = query.where(
            col(Cycle.quarter).is_(None) if quarter is None else col(Cycle.quarter) == quarter
        )
        found: dict[str, tuple[Cycle, CycleTarget]] = {}
        for cycle, target in (await self.session.exec(query)).all():
            seen = found.get(target.target_id)
            if seen is None or (cycle.published_at or cycle.created_at) > (
                seen[0].published_at or seen[0].created_at
            ):
                found[target.target_id] = (cycle, target)
        return found

    async def target(self, cycle_id: str, target_id: str) -> CycleTarget | None:
        query = select(CycleTarget).where(
            col(CycleTarget.cycle_id) == cycle_id, col(CycleTarget.target_id) == target_id
        )
        return (await self.session.exec(query)).first()

    async def scores(self, cycle_id: str, target_id: str | None = None) -> list[Score]:
        query = select(Score).where(col(Score.cycle_id) == cycle_id)
        if target_id is not None:
            query = query.where(col(Score.target_id) == target_id)
        return list((await self.session.exec(query)).all())

    async def appeal(self, appeal_id: str) -> Appeal | None:
        return await self.session.get(Appeal, appeal_id)

    async def appeals(self, cycle_id: str, target_id: str) -> list[Appeal]:
        query = select(Appeal).where(
            col(Appeal.cycle_id) == cycle_id, col(Appeal.target_id) == target_id
        )
        return list((await self.session.exec(query.order_by(col(Appeal.id)))).all())

    async def appeals_page(
        self, cycle_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Appeal], str | None]:
        query = (
            select(Appeal)
            .where(col(Appeal.cycle_id) == cycle_id)
            .order_by(col(Appeal.id))
            .limit(limit + 1)
        )
        if cursor is not None:
            (last,) = decode_cursor(cursor, 1)
            query = query.where(col(Appeal.id) > str(last))
        rows = list((await self.session.exec(query)).all())
        return build_page(rows, limit, lambda a: [a.id])

    async def changes(self, cycle_id: str, target_id: str) -> list[ScoreChange]:
        query = (
            select(ScoreChange)
            .where(col(ScoreChange.cycle_id) == cycle_id, col(ScoreChange.target_id) == target_id)
            .order_by(col(ScoreChange.changed_at))
        )
        return list((await self.session.exec(query)).all())
