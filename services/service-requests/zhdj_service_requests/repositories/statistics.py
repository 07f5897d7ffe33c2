"""Aggregates for the "三率" and friends: one grouped query over the requests.

Each figure is a sum of a 0/1 expression, so one pass gives every rate of every group; the
on-time flags and handling minutes are stored when the request moves, never recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models import ServiceRequest
from zhdj_service_requests.repositories.requests import RequestFilters, _conditions


@dataclass(frozen=True)
class GroupFigures:
    key: str
    total: int
    responded: int
    responded_on_time: int
    accepted: int
    resolved: int
    resolved_on_time: int
    rated: int
    satisfied: int
    handling_minutes_sum: int
    handling_count: int
    volunteer_requests: int
    volunteer_person_times: int


def _flag(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _group_key(group_by: str, dialect: str) -> Any:
    if group_by == "org":
        return col(ServiceRequest.handling_org_id)
    if group_by == "department":
        return func.coalesce(col(ServiceRequest.assigned_department_id), "")
    if group_by == "category":
        return col(ServiceRequest.category_id)
    if group_by == "community":
        return func.coalesce(col(ServiceRequest.community_id), "")
    # month, in China's calendar (UTC+8)
    if dialect == "postgresql":
        return func.to_char(
            func.timezone("Asia/Shanghai", col(ServiceRequest.created_at)), "YYYY-MM"
        )
    return func.strftime("%Y-%m", col(ServiceRequest.created_at), "+8 hours")


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def figures(self, filters: RequestFilters, group_by: str) -> list[GroupFigures]:
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        key = _group_key(group_by, dialect).label("key")
        query = (
            core_select(key, *_aggregates())
            .where(col(ServiceRequest.status) != "cancelled", *_conditions(filters))
            .group_by(key)
            .order_by(key)
        )
        connection = await self.session.connection()  # a Core select of plain rows
        rows = (await connection.execute(query)).all()
        return [GroupFigures(str(row[0]), *(int(v) for v in row[1:])) for row in rows]

    async def figures_by_scope(self, scopes: dict[str, RequestFilters]) -> dict[str, GroupFigures]:
        """The ungrouped figures of each scope (key: its filters), in ONE statement: a
        ``UNION ALL`` of one aggregate per scope, each with exactly the conditions the single
        read uses (the same prefix condition, hence the same index ranges and answers)."""
        if not scopes:
            return {}
        branches = [
            core_select(literal(key).label("key"), *_aggregates()).where(
                col(ServiceRequest.status) != "cancelled", *_conditions(filters)
            )
            for key, filters in scopes.items()
        ]
        query = branches[0] if len(branches) == 1 else union_all(*branches)
        connection = await self.session.connection()
        rows = (await connection.execute(query)).all()
        return {str(row[0]): GroupFigures(str(row[0]), *(int(v) for v in row[1:])) for row in rows}


def _aggregates() -> list[Any]:
    """Every figure of a group, in :class:`GroupFigures`' order (after ``key``)."""
    r = ServiceRequest
    return [
        func.count().label("total"),
        _flag(col(r.responded_on_time).is_not(None)),
        _flag(col(r.responded_on_time).is_(True)),
        _flag(col(r.accepted_at).is_not(None)),
        _flag(col(r.resolved_at).is_not(None) | (col(r.rating).is_not(None))),
        _flag(col(r.resolved_on_time).is_(True)),
        _flag(col(r.rating).is_not(None)),
        _flag(col(r.rating) >= 4),
        func.coalesce(func.sum(col(r.handling_minutes)), 0),
        func.count(col(r.handling_minutes)),
        _flag(col(r.assigned_team_id).is_not(None)),
        func.coalesce(func.sum(col(r.volunteers)), 0),
    ]
