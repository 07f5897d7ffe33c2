"""Queries on alliances, their members, chains, leadership team, conveners and designations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import (
    Alliance,
    AllianceAppointment,
    AllianceChain,
    AllianceChainMember,
    AllianceDesignation,
    AllianceMember,
    AllianceStatusChange,
    ConvenerPeriod,
    Organization,
    VolunteerTeam,
)
from zhdj_shared.db import utcnow
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import name_search


@dataclass(frozen=True)
class AllianceFilters:
    pattern: str | None = None
    status: str | None = None
    within_path: str | None = None  # lead organization in this subtree (path prefix)
    member_org_id: str | None = None  # a current member on ``on``
    demonstration_year: int | None = None
    name: str | None = None
    on: date | None = None


def member_on(on: date) -> ColumnElement[bool]:
    """Membership rows in force on ``on`` (joined on or before, not yet left)."""
    return and_(
        col(AllianceMember.joined_on) <= on,
        or_(col(AllianceMember.left_on).is_(None), col(AllianceMember.left_on) > on),
    )


class AllianceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *rows: object) -> None:
        self.session.add_all(rows)

    async def get(self, alliance_id: str, *, for_update: bool = False) -> Alliance | None:
        if not for_update:
            return await self.session.get(Alliance, alliance_id)
        query = select(Alliance).where(col(Alliance.id) == alliance_id).with_for_update()
        return (await self.session.exec(query)).first()

    async def get_many(self, alliance_ids: Sequence[str]) -> dict[str, Alliance]:
        if not alliance_ids:
            return {}
        query = select(Alliance).where(col(Alliance.id).in_(set(alliance_ids)))
        return {a.id: a for a in (await self.session.exec(query)).all()}

    async def organization(self, org_id: str) -> Organization | None:
        return await self.session.get(Organization, org_id)

    async def organizations(self, ids: Sequence[str]) -> dict[str, Organization]:
        if not ids:
            return {}
        query = select(Organization).where(col(Organization.id).in_(set(ids)))
        return {o.id: o for o in (await self.session.exec(query)).all()}

    async def named(self, lead_org_id: str, name: str) -> Alliance | None:
        query = select(Alliance).where(
            col(Alliance.lead_org_id) == lead_org_id,
            col(Alliance.name) == name,
            col(Alliance.status) != "dissolved",
        )
        return (await self.session.exec(query.limit(1))).first()

    async def rehome_teams(self, alliance_id: str, lead_org_id: str) -> None:
        """The alliance's volunteer teams follow its new lead (their ``home_org_id`` is the lead:
        who manages them, and which subtree finds them)."""
        statement = (
            update(VolunteerTeam)
            .where(col(VolunteerTeam.alliance_id) == alliance_id)
            .values(home_org_id=lead_org_id, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        await self.session.exec(statement)

    async def list_page(
        self, filters: AllianceFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Alliance], str | None]:
        order = (col(Alliance.name_pinyin), col(Alliance.id))
        query = select(Alliance)
        if filters.within_path is not None:
            query = query.join(Organization, col(Organization.id) == col(Alliance.lead_org_id))
        for condition in _alliance_conditions(filters):
            query = query.where(condition)
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 2)))
        result = await self.session.exec(query.order_by(*order).limit(limit + 1))
        return build_page(result.all(), limit, lambda a: (a.name_pinyin, a.id))

    # --- members -----------------------------------------------------------------------------

    async def members_page(
        self, alliance_id: str, on: date | None, *, limit: int, cursor: str | None
    ) -> tuple[list[tuple[AllianceMember, Organization]], str | None]:
        """Memberships (with their organization), in force on ``on`` or the whole history."""
        order = (col(AllianceMember.joined_on), col(AllianceMember.id))
        query = (
            select(AllianceMember, Organization)
            .join(Organization, col(Organization.id) == col(AllianceMember.org_id))
            .where(col(AllianceMember.alliance_id) == alliance_id)
        )
        if on is not None:
            query = query.where(member_on(on))
        if cursor:
            values = decode_cursor(cursor, 2)
            query = query.where(after_cursor(order, [date.fromisoformat(values[0]), values[1]]))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(
            [(m, o) for m, o in rows], limit, lambda r: (r[0].joined_on.isoformat(), r[0].id)
        )

    async def current_members(
        self, alliance_id: str, on: date
    ) -> list[tuple[AllianceMember, Organization]]:
        query = (
            select(AllianceMember, Organization)
            .join(Organization, col(Organization.id) == col(AllianceMember.org_id))
            .where(col(AllianceMember.alliance_id) == alliance_id, member_on(on))
        )
        return [(m, o) for m, o in (await self.session.exec(query)).all()]

    async def members_of_many(
        self, alliance_ids: Sequence[str], on: date
    ) -> dict[str, list[tuple[AllianceMember, Organization]]]:
        """Memberships in force on ``on`` of many alliances (one statement), each alliance's in
        the order of :meth:`members_page` (joined_on, id)."""
        if not alliance_ids:
            return {}
        query = (
            select(AllianceMember, Organization)
            .join(Organization, col(Organization.id) == col(AllianceMember.org_id))
            .where(col(AllianceMember.alliance_id).in_(set(alliance_ids)), member_on(on))
            .order_by(col(AllianceMember.joined_on), col(AllianceMember.id))
        )
        found: dict[str, list[tuple[AllianceMember, Organization]]] = defaultdict(list)
        for member, org in (await self.session.exec(query)).all():
            found[member.alliance_id].append((member, org))
        return dict(found)

    async def memberships_of(self, alliance_id: str, org_id: str) -> list[AllianceMember]:
        query = select(AllianceMember).where(
            col(AllianceMember.alliance_id) == alliance_id, col(AllianceMember.org_id) == org_id
        )
        return list((await self.session.exec(query.order_by(col(AllianceMember.joined_on)))).all())

    async def membership(self, alliance_id: str, membership_id: str) -> AllianceMember | None:
        row = await self.session.get(AllianceMember, membership_id)
        return row if row is not None and row.alliance_id == alliance_id else None

    async def sectors_of(self, alliance_ids: Sequence[str], on: date) -> dict[str, list[str]]:
        if not alliance_ids:
            return {}
        query = (
            select(AllianceMember.alliance_id, Organization.sector)
            .join(Organization, col(Organization.id) == col(AllianceMember.org_id))
            .where(col(AllianceMember.alliance_id).in_(alliance_ids), member_on(on))
            .distinct()
        )
        sectors: dict[str, set[str]] = defaultdict(set)
        for alliance_id, sector in (await self.session.exec(query)).all():
            sectors[alliance_id].add(sector)
        return {k: sorted(v) for k, v in sectors.items()}

    async def member_counts(self, alliance_ids: Sequence[str], on: date) -> dict[str, int]:
        if not alliance_ids:
            return {}
        query = select(AllianceMember.alliance_id).where(
            col(AllianceMember.alliance_id).in_(alliance_ids), member_on(on)
        )
        counts: dict[str, int] = defaultdict(int)
        for alliance_id in (await self.session.exec(query)).all():
            counts[alliance_id] += 1
        return dict(counts)

    # --- designations and status ----------------------------------------------------------------

    async def designation_years(self, alliance_ids: Sequence[str]) -> dict[str, list[int]]:
        if not alliance_ids:
            return {}
        query = select(AllianceDesignation.alliance_id, AllianceDesignation.year).where(
            col(AllianceDesignation.alliance_id).in_(alliance_ids)
        )
        years: dict[str, list[int]] = defaultdict(list)
        for alliance_id, year in (await self.session.exec(query)).all():
            years[alliance_id].append(year)
        return {k: sorted(v) for k, v in years.items()}

    async def designations(self, alliance_id: str) -> list[AllianceDesignation]:
        query = select(AllianceDesignation).where(
            col(AllianceDesignation.alliance_id) == alliance_id
        )
        return list((await self.session.exec(query.order_by(col(AllianceDesignation.year)))).all())

    async def designation(self, alliance_id: str, year: int) -> AllianceDesignation | None:
        query = select(AllianceDesignation).where(
            col(AllianceDesignation.alliance_id) == alliance_id,
            col(AllianceDesignation.year) == year,
        )
        return (await self.session.exec(query)).first()

    async def designations_by_year(
        self, year: int | None, within_path: str | None
    ) -> list[tuple[AllianceDesignation, Alliance]]:
        query = (
            select(AllianceDesignation, Alliance)
            .join(Alliance, col(Alliance.id) == col(AllianceDesignation.alliance_id))
            .join(Organization, col(Organization.id) == col(Alliance.lead_org_id))
        )
        if year is not None:
            query = query.where(col(AllianceDesignation.year) == year)
        if within_path is not None:
            query = query.where(col(Organization.path).startswith(within_path, autoescape=True))
        query = query.order_by(
            col(AllianceDesignation.year).desc(), col(Alliance.name_pinyin), col(Alliance.id)
        )
        return [(d, a) for d, a in (await self.session.exec(query)).all()]

    async def status_changes(self, alliance_id: str) -> list[AllianceStatusChange]:
        query = select(AllianceStatusChange).where(
            col(AllianceStatusChange.alliance_id) == alliance_id
        )
        order = (col(AllianceStatusChange.changed_at), col(AllianceStatusChange.id))
        return list((await self.session.exec(query.order_by(*order))).all())

    # --- chains --------------------------------------------------------------------------------

    async def chains(self, alliance_id: str) -> list[AllianceChain]:
        query = select(AllianceChain).where(col(AllianceChain.alliance_id) == alliance_id)
        return list((await self.session.exec(query.order_by(col(AllianceChain.created_at)))).all())

    async def chain(self, alliance_id: str, chain_id: str) -> AllianceChain | None:
        row = await self.session.get(AllianceChain, chain_id)
        return row if row is not None and row.alliance_id == alliance_id else None

    async def chain_named(self, alliance_id: str, name: str) -> AllianceChain | None:
        query = select(AllianceChain).where(
            col(AllianceChain.alliance_id) == alliance_id, col(AllianceChain.name) == name
        )
        return (await self.session.exec(query)).first()

    async def chain_members(self, alliance_id: str) -> list[AllianceChainMember]:
        query = select(AllianceChainMember).where(
            col(AllianceChainMember.alliance_id) == alliance_id
        )
        return list((await self.session.exec(query.order_by(col(AllianceChainMember.id)))).all())

    async def chain_member(self, chain_id: str, org_id: str) -> AllianceChainMember | None:
        query = select(AllianceChainMember).where(
            col(AllianceChainMember.chain_id) == chain_id,
            col(AllianceChainMember.org_id) == org_id,
        )
        return (await self.session.exec(query)).first()

    async def chain_memberships_of(
        self, alliance_id: str, org_id: str
    ) -> list[AllianceChainMember]:
        query = select(AllianceChainMember).where(
            col(AllianceChainMember.alliance_id) == alliance_id,
            col(AllianceChainMember.org_id) == org_id,
        )
        return list((await self.session.exec(query)).all())

    async def delete(self, row: object) -> None:
        await self.session.delete(row)

    # --- leadership team -----------------------------------------------------------------------

    async def appointments(self, alliance_id: str, on: date | None) -> list[AllianceAppointment]:
        query = select(AllianceAppointment).where(
            col(AllianceAppointment.alliance_id) == alliance_id
        )
        if on is not None:
            query = query.where(
                col(AllianceAppointment.started_on) <= on,
                or_(
                    col(AllianceAppointment.ended_on).is_(None),
                    col(AllianceAppointment.ended_on) >= on,
                ),
            )
        order = (col(AllianceAppointment.started_on), col(AllianceAppointment.id))
        return list((await self.session.exec(query.order_by(*order))).all())

    async def appointment(
        self, alliance_id: str, appointment_id: str
    ) -> AllianceAppointment | None:
        row = await self.session.get(AllianceAppointment, appointment_id)
        return row if row is not None and row.alliance_id == alliance_id else None

    async def same_seat(
        self, alliance_id: str, member_id: str, role: str
    ) -> list[AllianceAppointment]:
        query = select(AllianceAppointment).where(
            col(AllianceAppointment.alliance_id) == alliance_id,
            col(AllianceAppointment.member_id) == member_id,
            col(AllianceAppointment.role) == role,
        )
        return list((await self.session.exec(query)).all())

    # --- rotating conveners --------------------------------------------------------------------

    async def convener_periods(
        self, alliance_id: str, start: date | None = None, end: date | None = None
    ) -> list[ConvenerPeriod]:
        """Periods of the alliance, or those intersecting ``start..end`` (inclusive)."""
        query = select(ConvenerPeriod).where(col(ConvenerPeriod.alliance_id) == alliance_id)
        if end is not None:
            query = query.where(col(ConvenerPeriod.start_on) <= end)
        if start is not None:
            query = query.where(col(ConvenerPeriod.end_on) >= start)
        return list((await self.session.exec(query.order_by(col(ConvenerPeriod.start_on)))).all())

    async def convener_period(self, alliance_id: str, period_id: str) -> ConvenerPeriod | None:
        row = await self.session.get(ConvenerPeriod, period_id)
        return row if row is not None and row.alliance_id == alliance_id else None


def _alliance_conditions(filters: AllianceFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.pattern is not None:
        conditions.append(col(Alliance.pattern) == filters.pattern)
    if filters.status is not None:
        conditions.append(col(Alliance.status) == filters.status)
    if filters.within_path is not None:
        conditions.append(col(Organization.path).startswith(filters.within_path, autoescape=True))
    if filters.member_org_id is not None and filters.on is not None:
        conditions.append(
            exists().where(
                col(AllianceMember.alliance_id) == col(Alliance.id),
                col(AllianceMember.org_id) == filters.member_org_id,
                member_on(filters.on),
            )
        )
    if filters.demonstration_year is not None:
        conditions.append(
            exists().where(
                col(AllianceDesignation.alliance_id) == col(Alliance.id),
                col(AllianceDesignation.year) == filters.demonstration_year,
            )
        )
    if filters.name:
        conditions.append(
            name_search(
                col(Alliance.name),
                col(Alliance.name_pinyin),
                col(Alliance.name_initials),
                filters.name,
            )
        )
    return conditions
