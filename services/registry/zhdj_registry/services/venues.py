"""Rules of venues: the owner organization's staff keep them; alliances share them.

An alliance's managers link a venue when its owner is a current member of the alliance, or when
they also act for the owner: nobody shares another organization's venue without it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from zhdj_registry.models import AllianceVenue, Venue
from zhdj_registry.repositories.venues import VenueFilters, VenueRepository
from zhdj_registry.schemas.alliances import OrgRef
from zhdj_registry.schemas.venues import VenueCreate, VenueLinkCreate, VenueLinkEnd, VenueUpdate
from zhdj_registry.services.alliance_access import acts_for_org, today
from zhdj_registry.services.alliances import AllianceService, covering_membership, require_open
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.text import pinyin_key


class VenueService:
    def __init__(self, repository: VenueRepository, alliances: AllianceService) -> None:
        self.repository = repository
        self.alliances = alliances

    async def get(self, venue_id: str) -> Venue:
        venue = await self.repository.get(venue_id)
        if venue is None:
            raise NotFound(f"venue {venue_id} does not exist")
        return venue

    async def owner_refs(self, venues: list[Venue]) -> dict[str, OrgRef]:
        orgs = await self.alliances.repository.organizations([v.owner_org_id for v in venues])
        return {i: OrgRef.of(o) for i, o in orgs.items()}

    async def list_page(
        self, filters: VenueFilters, within: str | None, page: PageParams
    ) -> tuple[list[Venue], str | None]:
        if within is not None:
            filters = replace(filters, within_path=await self.alliances.within_path(within))
        return await self.repository.list_page(filters, limit=page.limit, cursor=page.cursor)

    async def create(self, principal: Principal, data: VenueCreate) -> Venue:
        owner = await self.alliances.active_org(data.owner_org_id, "owner_org_id")
        if not acts_for_org(principal, owner):
            raise Forbidden(
                "you do not act for the owner organization or any organization above it"
            )
        key = pinyin_key(data.name)
        venue = Venue(**data.model_dump(), name_pinyin=key.full, name_initials=key.initials)
        self.repository.add(venue)
        await self.repository.session.flush()
        return venue

    async def update(self, principal: Principal, venue_id: str, data: VenueUpdate) -> Venue:
        venue = await self.get(venue_id)
        owner = await self.alliances.repository.organization(venue.owner_org_id)
        if owner is None or not acts_for_org(principal, owner):
            raise Forbidden("only the owner organization's staff may change the venue")
        changes = data.model_dump(exclude_unset=True)
        for field in ("name", "address", "capacity", "facilities", "status"):
            if field in changes and changes[field] is None:
                raise Unprocessable(
                    f"{field} cannot be removed",
                    errors=[FieldError(field=field, message="cannot be null")],
                )
        if "name" in changes:
            key = pinyin_key(changes["name"])
            venue.name_pinyin, venue.name_initials = key.full, key.initials
        if data.status is not None:
            changes["status"] = data.status.value
        for field, value in changes.items():
            setattr(venue, field, value)
        venue.updated_at = utcnow()
        await self.repository.session.flush()
        return venue

    # --- sharing with alliances ----------------------------------------------------------------

    async def link(
        self, principal: Principal, alliance_id: str, data: VenueLinkCreate
    ) -> tuple[AllianceVenue, Venue]:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        access.require_manager()
        require_open(access.alliance)
        venue = await self.repository.get(data.venue_id)
        if venue is None or venue.status != "open":
            raise Unprocessable(
                "the venue does not exist or is closed",
                errors=[FieldError(field="venue_id", message="unknown venue")],
            )
        start = data.linked_on or today()
        await self._check_owner_consents(principal, alliance_id, venue, start)
        existing = await self.repository.links(alliance_id, venue.id)
        if any(_link_overlaps(link, start) for link in existing):
            raise Conflict("the venue is already shared with the alliance at that time")
        link = AllianceVenue(
            alliance_id=alliance_id,
            venue_id=venue.id,
            linked_on=start,
            is_office=data.is_office,
            note=data.note,
        )
        self.repository.add(link)
        await self.repository.session.flush()
        return link, venue

    async def _check_owner_consents(
        self, principal: Principal, alliance_id: str, venue: Venue, on: date
    ) -> None:
        owner = await self.alliances.repository.organization(venue.owner_org_id)
        if owner is not None and acts_for_org(principal, owner):
            return
        rows = await self.alliances.repository.memberships_of(alliance_id, venue.owner_org_id)
        if covering_membership(rows, on, on) is None:
            raise Forbidden(
                "the venue's owner is not a member of the alliance and you do not act for it"
            )

    async def unlink(
        self, principal: Principal, alliance_id: str, link_id: str, data: VenueLinkEnd
    ) -> tuple[AllianceVenue, Venue]:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        access.require_manager()
        link = await self.repository.link(alliance_id, link_id)
        if link is None:
            raise NotFound(f"venue link {link_id} does not exist in this alliance")
        if link.unlinked_on is not None:
            raise Conflict("the venue is no longer shared with the alliance")
        end = data.unlinked_on or today()
        if end <= link.linked_on:
            raise Unprocessable(
                "a venue is unshared after the day it was shared",
                errors=[FieldError(field="unlinked_on", message="not after linked_on")],
            )
        link.unlinked_on = end
        await self.repository.session.flush()
        return link, await self.get(link.venue_id)

    async def alliance_links(
        self, alliance_id: str, on: date | None
    ) -> list[tuple[AllianceVenue, Venue]]:
        await self.alliances.get(alliance_id)
        return await self.repository.links_of_alliance(alliance_id, on)


def _link_overlaps(link: AllianceVenue, start: date) -> bool:
    """An open-ended link from ``start`` clashes with a link not ended by then."""
    return link.unlinked_on is None or start < link.unlinked_on
