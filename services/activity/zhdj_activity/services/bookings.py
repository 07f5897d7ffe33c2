"""Venue bookings (refusing overlaps, race-safe) and volunteer service records."""

from __future__ import annotations

from zhdj_activity import registry as reg
from zhdj_activity.models import VenueBooking, VolunteerRecord
from zhdj_activity.periods import china_day
from zhdj_activity.repositories.bookings import BookingRepository
from zhdj_activity.schemas.bookings import BookingCreate, VolunteerCreate
from zhdj_activity.services.access import ancestry_of
from zhdj_activity.services.activities import invalid
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, Forbidden, NotFound
from zhdj_shared.pagination import PageParams
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.authz import Principal


class BookingService:
    def __init__(self, repository: BookingRepository, registry: RegistryClient) -> None:
        self.repository = repository
        self.registry = registry

    async def _managed_org_path(self, principal: Principal, org_id: str, field: str) -> str:
        org = await reg.organization(self.registry, org_id)
        if org is None:
            raise invalid(field, f"organization {org_id} is unknown to the registry")
        if not principal.manages(ancestry_of(org.path)):
            raise Forbidden("you do not act for this organization or any above it")
        return org.path

    async def book(self, principal: Principal, data: BookingCreate) -> VenueBooking:
        await self._managed_org_path(principal, data.org_id, "org_id")
        if await reg.venue(self.registry, data.venue_id) is None:
            raise invalid("venue_id", f"venue {data.venue_id} is unknown or closed")
        await self.repository.lock_venue(data.venue_id)
        clash = await self.repository.overlapping(data.venue_id, data.starts_at, data.ends_at)
        if clash is not None:
            raise Conflict(
                f"the venue is booked from {clash.starts_at.isoformat()} "
                f"to {clash.ends_at.isoformat()}"
            )
        booking = VenueBooking(**data.model_dump(), booked_by=principal.subject)
        self.repository.add(booking)
        await self.repository.flush()
        return booking

    async def cancel(self, principal: Principal, booking_id: str) -> VenueBooking:
        booking = await self.repository.get(booking_id)
        if booking is None:
            raise NotFound(f"booking {booking_id} does not exist")
        await self._managed_org_path(principal, booking.org_id, "org_id")
        if booking.status != "booked":
            raise Conflict("the booking is cancelled already")
        booking.status = "cancelled"
        await self.repository.flush()
        return booking

    async def of_venue(
        self, venue_id: str, page: PageParams
    ) -> tuple[list[VenueBooking], str | None]:
        return await self.repository.of_venue(venue_id, utcnow(), page.limit, page.cursor)

    # --- volunteer service ---------------------------------------------------------------------

    async def record_volunteer(
        self, principal: Principal, data: VolunteerCreate
    ) -> VolunteerRecord:
        member = await reg.member(self.registry, data.member_id)
        if member is None:
            raise invalid("member_id", f"member {data.member_id} is unknown to the registry")
        path = await self._managed_org_path(principal, member.org_id, "member_id")
        if data.served_on > china_day(utcnow()):
            raise invalid("served_on", "service is recorded once it has been given")
        record = VolunteerRecord(
            **data.model_dump(),
            member_name=member.name,
            org_id=member.org_id,
            org_path=path,
            recorded_by=principal.subject,
        )
        self.repository.add(record)
        await self.repository.flush()
        return record
