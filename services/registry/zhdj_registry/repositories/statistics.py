"""Aggregate queries for the registry's statistics (the "×" figures of the seed's report).

Every query is scoped by a materialized-path prefix (the whole city when ``path`` is None), so a
district's figures are indexed prefix scans rather than walks of the tree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, distinct, func, or_, union
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Organization
from zhdj_registry.models.alliances import Alliance, AllianceDesignation, AllianceMember
from zhdj_registry.models.members import Member, OrgMemberCount
from zhdj_registry.repositories.alliances import member_on


def _within(column: Any, path: str | None) -> ColumnElement[bool]:
    if path is None:
        return col(column).is_not(None)
    return col(column).startswith(path, autoescape=True)


def _member_in_force(on: date) -> ColumnElement[bool]:
    """Members on the rolls on ``on``: joined by then (or join date unknown) and not yet left."""
    return and_(
        or_(col(Member.joined_on).is_(None), col(Member.joined_on) <= on),
        or_(col(Member.left_on).is_(None), col(Member.left_on) > on),
    )


def _covered_org_ids(on: date) -> Select[Any]:
    """Organizations in a live alliance on ``on``: its current members and its lead."""
    live = col(Alliance.status) != "dissolved"
    members: Select[Any] = (
        select(col(AllianceMember.org_id).label("org_id"))
        .join(Alliance, col(Alliance.id) == col(AllianceMember.alliance_id))
        .where(live, member_on(on), col(Alliance.founded_on) <= on)
    )
    leads: Select[Any] = select(col(Alliance.lead_org_id).label("org_id")).where(
        live, col(Alliance.founded_on) <= on
    )
    covered = union(members, leads).subquery()
    return select(covered.c.org_id)


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def organizations_by_kind_and_sector(
        self, path: str | None
    ) -> list[tuple[str, str, int]]:
        query = (
            select(col(Organization.kind), col(Organization.sector), func.count())
            .where(col(Organization.status) == "active", _within(Organization.path, path))
            .group_by(col(Organization.kind), col(Organization.sector))
        )
        return [(k, s, int(n)) for k, s, n in (await self.session.exec(query)).all()]

    async def alliances_by_pattern_and_status(
        self, path: str | None, on: date
    ) -> list[tuple[str, str, int]]:
        query = (
            select(col(Alliance.pattern), col(Alliance.status), func.count())
            .join(Organization, col(Organization.id) == col(Alliance.lead_org_id))
            .where(
                col(Alliance.status) != "dissolved",
                col(Alliance.founded_on) <= on,
                _within(Organization.path, path),
            )
            .group_by(col(Alliance.pattern), col(Alliance.status))
        )
        return [(p, s, int(n)) for p, s, n in (await self.session.exec(query)).all()]

    async def demonstration_sites_by_year(self, path: str | None) -> list[tuple[int, int]]:
        query = (
            select(
                col(AllianceDesignation.year),
                func.count(distinct(col(AllianceDesignation.alliance_id))),
            )
            .join(Alliance, col(Alliance.id) == col(AllianceDesignation.alliance_id))
            .join(Organization, col(Organization.id) == col(Alliance.lead_org_id))
            .where(_within(Organization.path, path))
            .group_by(col(AllianceDesignation.year))
            .order_by(col(AllianceDesignation.year))
        )
        return [(int(y), int(n)) for y, n in (await self.session.exec(query)).all()]

    async def demonstration_sites(self, path: str | None) -> int:
        query = (
            select(func.count(distinct(col(AllianceDesignation.alliance_id))))
            .join(Alliance, col(Alliance.id) == col(AllianceDesignation.alliance_id))
            .join(Organization, col(Organization.id) == col(Alliance.lead_org_id))
            .where(_within(Organization.path, path))
        )
        return int((await self.session.exec(query)).one())

    async def organizations_covered_by_alliances(
        self, path: str | None, on: date, kinds: frozenset[str]
    ) -> tuple[int, int]:
        """(covered, total) among active organizations of ``kinds`` in the scope (one scan)."""
        in_scope = and_(
            col(Organization.status) == "active",
            col(Organization.kind).in_(sorted(kinds)),
            _within(Organization.path, path),
        )
        covered = func.count().filter(col(Organization.id).in_(_covered_org_ids(on)))
        query = select(covered, func.count()).select_from(Organization).where(in_scope)
        n_covered, total = (await self.session.exec(query)).one()
        return int(n_covered), int(total)

    async def member_figures(self, path: str | None, on: date) -> list[tuple[str, int, int]]:
        """``(status, members in force, of whom covered by alliances)`` in one scan of the
        scope's members (an index-only scan on PostgreSQL: ``ix_members_org_path_figures``)."""
        covered = func.count().filter(col(Member.home_org_id).in_(_covered_org_ids(on)))
        query = (
            select(col(Member.status), func.count(), covered)
            .where(_within(Member.org_path, path), _member_in_force(on))
            .group_by(col(Member.status))
        )
        return [(s, int(n), int(c)) for s, n, c in (await self.session.exec(query)).all()]

    async def member_figures_today(
        self, path: str | None, today: date
    ) -> list[tuple[str, int, int]]:
        """``member_figures(path, today)`` from the rollup ``org_member_counts``: a sum over the
        scope's organizations (an index-only prefix scan of ``ix_org_member_counts_org_path``)
        instead of a count of its members.

        Exact because no member's ``joined_on`` or ``left_on`` lies after today (the members
        service and the import refuse future dates): today, a member is in force exactly when
        ``left_on`` is null, and the rollup counts those by home organization, whose path the
        member's ``org_path`` and the rollup's ``org_path`` copy."""
        members = col(OrgMemberCount.members)
        covered = func.sum(members).filter(col(OrgMemberCount.org_id).in_(_covered_org_ids(today)))
        query = (
            select(col(OrgMemberCount.status), func.sum(members), covered)
            .where(members > 0, _within(OrgMemberCount.org_path, path))
            .group_by(col(OrgMemberCount.status))
        )
        return [(s, int(n), int(c or 0)) for s, n, c in (await self.session.exec(query)).all()]
