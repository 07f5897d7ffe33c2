"""Queries on venues and their links to alliances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Alliance, AllianceVenue, Organization, Venue
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import name_search


@dataclass(frozen=True)
class VenueFilters:
    within_path: str | None = None
    owner_org_id: str | None = None
    alliance_id: str | None = None  # shared with this alliance on ``on``
    on: date | None = None
    name: str | None = None
    include_closed: bool = False


def linked_on(on: date) -> ColumnElement[bool]:
    return and_(
        col(AllianceVenue.linked_on) <= on,
        or_(col(AllianceVenue.unlinked_on).is_(None), col(AllianceVenue.unlinked_on) > on),
    )


class VenueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Venue | AllianceVenue) -> None:
        self.session.add(row)

    async def get(self, venue_id: str) -> Venue | None:
        return await self.session.get(Venue, venue_id)

    async def list_page(
        self, filters: VenueFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Venue], str | None]:
        order = (col(Venue.name_pinyin), col(Venue.id))
        query = select(Venue)
        if filters.within_path is not None:
            query = query.join(Organization, col(Organization.id) == col(Venue.owner_org_id))
        for condition in _conditions(filters):
            query = query.where(condition)
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 2)))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda v: (v.name_pinyin, v.id))

    async def links_of_venues(
        self, venue_ids: Sequence[str], on: date
    ) -> list[tuple[AllianceVenue, str]]:
        """Links in force on ``on`` with their alliance's name."""
        if not venue_ids:
            return []
        query = (
            select(AllianceVenue, Alliance.name)
            .join(Alliance, col(Alliance.id) == col(AllianceVenue.alliance_id))
            .where(col(AllianceVenue.venue_id).in_(venue_ids), linked_on(on))
            .order_by(col(AllianceVenue.linked_on), col(AllianceVenue.id))
        )
        return [(link, name) for link, name in (await self.session.exec(query)).all()]

    async def links_of_alliance(
        self, alliance_id: str, on: date | None
    ) -> list[tuple[AllianceVenue, Venue]]:
        query = (
            select(AllianceVenue, Venue)
            .join(Venue, col(Venue.id) == col(AllianceVenue.venue_id))
            .where(col(AllianceVenue.alliance_id) == alliance_id)
        )
        if on is not None:
            query = query.where(linked_on(on))
        query = query.order_by(col(AllianceVenue.linked_on), col(AllianceVenue.id))
        return [(link, venue) for link, venue in (await self.session.exec(query)).all()]

    async def links(self, alliance_id: str, venue_id: str) -> list[AllianceVenue]:
        query = select(AllianceVenue).where(
            col(AllianceVenue.alliance_id) == alliance_id, col(AllianceVenue.venue_id) == venue_id
        )
        return list((await self.session.exec(query)).all())

    async def link(self, alliance_id: str, link_id: str) -> AllianceVenue | None:
        row = await self.session.get(AllianceVenue, link_id)
        return row if row is not None and row.alliance_id == alliance_id else None


def _conditions(filters: VenueFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_closed:
        conditions.append(col(Venue.status) == "open")
    if filters.within_path is not None:
        conditions.append(col(Organization.path).startswith(filters.within_path, autoescape=True))
    if filters.owner_org_id is not None:
        conditions.append(col(Venue.owner_org_id) == filters.owner_org_id)
    if filters.alliance_id is not None and filters.on is not None:
        conditions.append(
            exists().where(
                col(AllianceVenue.venue_id) == col(Venue.id),
                col(AllianceVenue.alliance_id) == filters.alliance_id,
                linked_on(filters.on),
            )
        )
    if filters.name:
        conditions.append(
            name_search(
                col(Venue.name),
                col(Venue.name_pinyin),
                col(Venue.name_initials),
                filters.name,
            )
        )
    return conditions
