"""Queries on community grids and households."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Grid, Household, Organization
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import like_escape


@dataclass(frozen=True)
class HouseholdFilters:
    community_id: str | None = None
    grid_id: str | None = None
    care_flag: str | None = None
    text: str | None = None  # head of household or address, substring


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle (the cheap first cut of ``locate``)."""

    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float


class GridRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, grid_id: str) -> Grid | None:
        return await self.session.get(Grid, grid_id)

    async def get_household(self, household_id: str) -> Household | None:
        return await self.session.get(Household, household_id)

    async def household_of_user(self, user_id: str) -> Household | None:
        query = select(Household).where(col(Household.user_id) == user_id)
        return (await self.session.exec(query)).first()

    async def code_taken(self, community_id: str, code: str, *, exclude_id: str | None) -> bool:
        query = select(Grid.id).where(
            col(Grid.community_id) == community_id, col(Grid.code) == code
        )
        if exclude_id is not None:
            query = query.where(col(Grid.id) != exclude_id)
        return (await self.session.exec(query.limit(1))).first() is not None

    def add(self, row: Grid | Household) -> None:
        self.session.add(row)

    async def delete(self, row: Grid | Household) -> None:
        await self.session.delete(row)

    async def has_households(self, grid_id: str) -> bool:
        query = select(Household.id).where(col(Household.grid_id) == grid_id).limit(1)
        return (await self.session.exec(query)).first() is not None

    async def list_grids(
        self,
        community_paths: Sequence[str] | None,
        community_id: str | None,
        *,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Grid], str | None]:
        """Grids of one community, or of every community under the given subtree paths."""
        order = (col(Grid.community_id), col(Grid.code), col(Grid.id))
        query = select(Grid)
        if community_id is not None:
            query = query.where(col(Grid.community_id) == community_id)
        if community_paths is not None:
            query = query.join(Organization, col(Organization.id) == col(Grid.community_id))
            query = query.where(_under_any(community_paths))
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 3)))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda g: (g.community_id, g.code, g.id))

    async def list_households(
        self, filters: HouseholdFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Household], str | None]:
        order = (col(Household.grid_id), col(Household.id))
        query = select(Household)
        for condition in _household_conditions(filters):
            query = query.where(condition)
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 2)))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda h: (h.grid_id, h.id))

    async def grids_in_box(
        self, box: Box, community_paths: Sequence[str] | None
    ) -> list[tuple[Grid, Organization]]:
        """Grids with a centre inside ``box`` (optionally only under some subtrees)."""
        query = (
            select(Grid, Organization)
            .join(Organization, col(Organization.id) == col(Grid.community_id))
            .where(
                col(Grid.center_lat).between(box.min_lat, box.max_lat),
                col(Grid.center_lng).between(box.min_lng, box.max_lng),
                col(Organization.status) == "active",
            )
        )
        if community_paths is not None:
            query = query.where(_under_any(community_paths))
        return [(grid, org) for grid, org in (await self.session.exec(query)).all()]


def _under_any(paths: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(col(Organization.path).startswith(p, autoescape=True) for p in paths))


def _household_conditions(filters: HouseholdFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.community_id is not None:
        conditions.append(col(Household.community_id) == filters.community_id)
    if filters.grid_id is not None:
        conditions.append(col(Household.grid_id) == filters.grid_id)
    if filters.care_flag is not None:
        conditions.append(
            col(Household.care_flags).contains(f",{filters.care_flag},", autoescape=True)
        )
    if filters.text:
        pattern = f"%{like_escape(filters.text)}%"
        conditions.append(
            or_(
                col(Household.head_name).like(pattern, escape="\\"),
                col(Household.address).like(pattern, escape="\\"),
            )
        )
    return conditions
