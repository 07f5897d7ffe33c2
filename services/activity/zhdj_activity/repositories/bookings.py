"""Queries on venue bookings and volunteer service records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_activity.models import VenueBooking, VenueLock, VolunteerRecord
from zhdj_activity.repositories.activities import time_cursor
from zhdj_shared.pagination import after_cursor, build_page


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def lock_venue(self, venue_id: str) -> None:
        """Serialize bookings of one venue: the UPDATE takes a row lock (PostgreSQL) or the
        write lock (SQLite) held to commit, so the overlap check below cannot race."""
        result = await self.session.exec(
            update(VenueLock)
            .where(col(VenueLock.venue_id) == venue_id)
            .values(version=col(VenueLock.version) + 1)
        )
        if result.rowcount == 0:
            # First booking of the venue: a concurrent first insert fails on the primary key
            # and is answered 409 (retry), never a double booking.
            self.session.add(VenueLock(venue_id=venue_id, version=1))
            await self.session.flush()

    async def overlapping(
        self, venue_id: str, starts_at: datetime, ends_at: datetime
    ) -> VenueBooking | None:
        query = select(VenueBooking).where(
            col(VenueBooking.venue_id) == venue_id,
            col(VenueBooking.status) == "booked",
            col(VenueBooking.starts_at) < ends_at,
            col(VenueBooking.ends_at) > starts_at,
        )
        return (await self.session.exec(query.limit(1))).first()

    async def get(self, booking_id: str) -> VenueBooking | None:
        return await self.session.get(VenueBooking, booking_id)

    async def of_venue(
        self, venue_id: str, starts_from: datetime | None, limit: int, cursor: str | None
    ) -> tuple[list[VenueBooking], str | None]:
        order = (col(VenueBooking.starts_at), col(VenueBooking.id))
        query = select(VenueBooking).where(
            col(VenueBooking.venue_id) == venue_id, col(VenueBooking.status) == "booked"
        )
        if starts_from is not None:
            query = query.where(col(VenueBooking.ends_at) > starts_from)
        if cursor:
            query = query.where(after_cursor(order, list(time_cursor(cursor))))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda b: (b.starts_at.isoformat(), b.id))

    async def volunteer_page(
        self, org_path: str | None, member_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[VolunteerRecord], str | None]:
        order = (col(VolunteerRecord.served_on), col(VolunteerRecord.id))
        query = select(VolunteerRecord)
        if org_path is not None:
            query = query.where(col(VolunteerRecord.org_path).startswith(org_path, autoescape=True))
        if member_id is not None:
            query = query.where(col(VolunteerRecord.member_id) == member_id)
        if cursor:
            day, last_id = time_cursor(cursor)
            query = query.where(after_cursor(order, [day.date(), last_id]))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda v: (v.served_on.isoformat(), v.id))

    async def volunteer(self, record_id: str) -> VolunteerRecord | None:
        return await self.session.get(VolunteerRecord, record_id)
