"""``/api/activity/bookings`` (venue bookings) and ``/api/activity/volunteer-records``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhdj_activity.routers.deps import Bookings, Id, OncePerKey, Paging, Reader, Writer
from zhdj_activity.schemas.bookings import (
    BookingCancel,
    BookingCreate,
    BookingRead,
    VolunteerCreate,
    VolunteerRead,
)
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

router = APIRouter(prefix="/api/activity", tags=["bookings", "volunteers"])


@router.post(
    "/bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingRead,
    summary="Book a registry venue (409 when the time overlaps another booking; a retry with "
    "the same Idempotency-Key gets the booking back)",
    responses=problem_responses(403, 409, 422, 503),
)
async def book(
    body: BookingCreate, principal: Writer, service: Bookings, once: OncePerKey
) -> Response:
    async def make() -> BookingRead:
        return BookingRead.of(await service.book(principal, body))

    return await once.answer(
        body, make, location=lambda created: f"/api/activity/bookings/{created['id']}"
    )


@router.post(
    "/bookings/{booking_id}/cancel",
    summary="Cancel a booking",
    responses=problem_responses(403, 404, 409, 503),
)
async def cancel_booking(
    booking_id: Id, body: BookingCancel, principal: Writer, service: Bookings
) -> BookingRead:
    del body  # the reason is required of the caller; the booking keeps only its state
    return BookingRead.of(await service.cancel(principal, booking_id))


@router.get("/venues/{venue_id}/bookings", summary="Current and future bookings of a venue")
async def venue_bookings(
    venue_id: Id, _principal: Reader, service: Bookings, page: Paging
) -> Page[BookingRead]:
    items, next_cursor = await service.of_venue(venue_id, page)
    return Page(items=[BookingRead.of(b) for b in items], next_cursor=next_cursor)


@router.post(
    "/volunteer-records",
    status_code=status.HTTP_201_CREATED,
    response_model=VolunteerRead,
    summary="Record volunteer service (member, post kind, hours, optional service request); "
    "a retry with the same Idempotency-Key records nothing twice",
    responses=problem_responses(403, 422, 503),
)
async def record_volunteer(
    body: VolunteerCreate, principal: Writer, service: Bookings, once: OncePerKey
) -> Response:
    async def record() -> VolunteerRead:
        return VolunteerRead.of(await service.record_volunteer(principal, body))

    return await once.answer(body, record)


@router.get("/volunteer-records", summary="Volunteer records of a member")
async def volunteer_records(
    _principal: Reader,
    service: Bookings,
    page: Paging,
    member_id: Annotated[str, Query(max_length=64)],
) -> Page[VolunteerRead]:
    items, next_cursor = await service.repository.volunteer_page(
        None, member_id, page.limit, page.cursor
    )
    return Page(items=[VolunteerRead.of(v) for v in items], next_cursor=next_cursor)
