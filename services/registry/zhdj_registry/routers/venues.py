"""``/api/registry/venues`` (活动阵地) and ``/api/registry/alliances/{id}/venues`` (sharing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhdj_registry.models import Venue
from zhdj_registry.repositories.venues import VenueFilters
from zhdj_registry.routers.alliance_deps import Id, OnDate, Paging, Venues
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.venues import (
    VenueCreate,
    VenueLinkCreate,
    VenueLinkEnd,
    VenueLinkRead,
    VenueRead,
    VenueUpdate,
)
from zhdj_registry.services.alliance_access import today
from zhdj_registry.services.venues import VenueService
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

PREFIX = "/api/registry/venues"
router = APIRouter(prefix=PREFIX, tags=["venues"])
links_router = APIRouter(prefix="/api/registry/alliances", tags=["venues"])


async def _reads(service: VenueService, venues: list[Venue]) -> list[VenueRead]:
    owners = await service.owner_refs(venues)
    links = await service.repository.links_of_venues([v.id for v in venues], today())
    by_venue: dict[str, list[VenueLinkRead]] = {v.id: [] for v in venues}
    venues_by_id = {v.id: v for v in venues}
    for link, alliance_name in links:
        by_venue[link.venue_id].append(
            VenueLinkRead.of(link, venues_by_id[link.venue_id], alliance_name)
        )
    return [VenueRead.of(v, owners[v.owner_org_id], by_venue[v.id]) for v in venues]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a venue of an organization the caller acts for",
    responses=problem_responses(403, 422),
)
async def create_venue(
    body: VenueCreate, principal: Writer, service: Venues, response: Response
) -> VenueRead:
    venue = await service.create(principal, body)
    response.headers["Location"] = f"{PREFIX}/{venue.id}"
    return (await _reads(service, [venue]))[0]


@router.get(
    "",
    summary="List venues (owner subtree, owner, alliance, name)",
    responses=problem_responses(404),
)
async def list_venues(
    _principal: Reader,
    service: Venues,
    page: Paging,
    within: Annotated[
        str | None, Query(max_length=64, description="Owner in this organization's subtree")
    ] = None,
    owner_org_id: Annotated[str | None, Query(max_length=64)] = None,
    alliance_id: Annotated[
        str | None, Query(max_length=64, description="Shared with this alliance today")
    ] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    include_closed: bool = False,
) -> Page[VenueRead]:
    filters = VenueFilters(
        owner_org_id=owner_org_id,
        alliance_id=alliance_id,
        on=today(),
        name=name,
        include_closed=include_closed,
    )
    venues, next_cursor = await service.list_page(filters, within, page)
    return Page(items=await _reads(service, venues), next_cursor=next_cursor)


@router.get("/{venue_id}", summary="One venue", responses=problem_responses(404))
async def get_venue(venue_id: Id, _principal: Reader, service: Venues) -> VenueRead:
    return (await _reads(service, [await service.get(venue_id)]))[0]


@router.patch(
    "/{venue_id}",
    summary="Change a venue (the owner's staff)",
    responses=problem_responses(403, 404, 422),
)
async def update_venue(
    venue_id: Id, body: VenueUpdate, principal: Writer, service: Venues
) -> VenueRead:
    venue = await service.update(principal, venue_id, body)
    return (await _reads(service, [venue]))[0]


@links_router.get(
    "/{alliance_id}/venues",
    summary="Venues shared with the alliance on a date (default today), or every link",
    responses=problem_responses(404),
)
async def alliance_venues(
    alliance_id: Id,
    _principal: Reader,
    service: Venues,
    on: OnDate = None,
    history: Annotated[bool, Query(description="Every link")] = False,
) -> list[VenueLinkRead]:
    alliance = await service.alliances.get(alliance_id)
    rows = await service.alliance_links(alliance_id, None if history else on or today())
    return [VenueLinkRead.of(link, venue, alliance.name) for link, venue in rows]


@links_router.post(
    "/{alliance_id}/venues",
    status_code=status.HTTP_201_CREATED,
    summary="Share a venue with the alliance",
    responses=problem_responses(403, 404, 409, 422),
)
async def link_venue(
    alliance_id: Id, body: VenueLinkCreate, principal: Writer, service: Venues, response: Response
) -> VenueLinkRead:
    link, venue = await service.link(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{venue.id}"
    alliance = await service.alliances.get(alliance_id)
    return VenueLinkRead.of(link, venue, alliance.name)


@links_router.post(
    "/{alliance_id}/venues/{link_id}/end",
    summary="Stop sharing a venue with the alliance",
    responses=problem_responses(403, 404, 409, 422),
)
async def unlink_venue(
    alliance_id: Id, link_id: Id, body: VenueLinkEnd, principal: Writer, service: Venues
) -> VenueLinkRead:
    link, venue = await service.unlink(principal, alliance_id, link_id, body)
    alliance = await service.alliances.get(alliance_id)
    return VenueLinkRead.of(link, venue, alliance.name)
