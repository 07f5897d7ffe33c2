"""Queries on volunteer teams, posts and claims."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Organization, VolunteerClaim, VolunteerPost, VolunteerTeam
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import name_search


@dataclass(frozen=True)
class TeamFilters:
    within_path: str | None = None  # home organization in this subtree
    org_id: str | None = None
    alliance_id: str | None = None
    post_kind: str | None = None  # has an active post of this kind
    name: str | None = None
    include_disbanded: bool = False


class VolunteerTeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: VolunteerTeam | VolunteerPost | VolunteerClaim) -> None:
        self.session.add(row)

    async def get(self, team_id: str) -> VolunteerTeam | None:
        return await self.session.get(VolunteerTeam, team_id)

    async def list_page(
        self, filters: TeamFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[VolunteerTeam], str | None]:
        order = (col(VolunteerTeam.name_pinyin), col(VolunteerTeam.id))
        query = select(VolunteerTeam)
        if filters.within_path is not None:
            query = query.join(Organization, col(Organization.id) == col(VolunteerTeam.home_org_id))
        for condition in _conditions(filters):
            query = query.where(condition)
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 2)))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda t: (t.name_pinyin, t.id))

    async def posts_of(self, team_ids: Sequence[str]) -> list[VolunteerPost]:
        if not team_ids:
            return []
        query = select(VolunteerPost).where(col(VolunteerPost.team_id).in_(team_ids))
        return list((await self.session.exec(query.order_by(col(VolunteerPost.id)))).all())

    async def claimed_counts(self, post_ids: Sequence[str]) -> dict[str, int]:
        if not post_ids:
            return {}
        query = (
            select(VolunteerClaim.post_id, func.count())
            .where(
                col(VolunteerClaim.post_id).in_(post_ids), col(VolunteerClaim.released_at).is_(None)
            )
            .group_by(col(VolunteerClaim.post_id))
        )
        counts: dict[str, int] = defaultdict(int)
        for post_id, count in (await self.session.exec(query)).all():
            counts[post_id] = int(count)
        return dict(counts)

    async def post(
        self, team_id: str, post_id: str, *, for_update: bool = False
    ) -> VolunteerPost | None:
        query = select(VolunteerPost).where(
            col(VolunteerPost.id) == post_id, col(VolunteerPost.team_id) == team_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.exec(query)).first()

    async def active_claim(self, post_id: str, member_id: str) -> VolunteerClaim | None:
        query = select(VolunteerClaim).where(
            col(VolunteerClaim.post_id) == post_id,
            col(VolunteerClaim.member_id) == member_id,
            col(VolunteerClaim.released_at).is_(None),
        )
        return (await self.session.exec(query)).first()

    async def claims(self, post_id: str, *, active_only: bool) -> list[VolunteerClaim]:
        query = select(VolunteerClaim).where(col(VolunteerClaim.post_id) == post_id)
        if active_only:
            query = query.where(col(VolunteerClaim.released_at).is_(None))
        return list((await self.session.exec(query.order_by(col(VolunteerClaim.id)))).all())

    async def claim(self, post_id: str, claim_id: str) -> VolunteerClaim | None:
        row = await self.session.get(VolunteerClaim, claim_id)
        return row if row is not None and row.post_id == post_id else None

    async def member_claims(self, member_id: str, *, active_only: bool) -> list[VolunteerClaim]:
        query = select(VolunteerClaim).where(col(VolunteerClaim.member_id) == member_id)
        if active_only:
            query = query.where(col(VolunteerClaim.released_at).is_(None))
        return list((await self.session.exec(query.order_by(col(VolunteerClaim.id)))).all())


def _conditions(filters: TeamFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_disbanded:
        conditions.append(col(VolunteerTeam.status) == "active")
    if filters.within_path is not None:
        conditions.append(col(Organization.path).startswith(filters.within_path, autoescape=True))
    if filters.org_id is not None:
        conditions.append(col(VolunteerTeam.org_id) == filters.org_id)
    if filters.alliance_id is not None:
        conditions.append(col(VolunteerTeam.alliance_id) == filters.alliance_id)
    if filters.post_kind is not None:
        conditions.append(
            exists().where(
                col(VolunteerPost.team_id) == col(VolunteerTeam.id),
                col(VolunteerPost.kind) == filters.post_kind,
                col(VolunteerPost.status) == "active",
            )
        )
    if filters.name:
        conditions.append(
            name_search(
                col(VolunteerTeam.name),
                col(VolunteerTeam.name_pinyin),
                col(VolunteerTeam.name_initials),
                filters.name,
            )
        )
    return conditions
