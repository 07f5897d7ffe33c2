"""API shapes of venues (活动阵地) and their sharing with alliances."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from zhdj_registry.models import AllianceVenue, Venue
from zhdj_registry.schemas.alliances import OrgRef, Strict
from zhdj_registry.schemas.organizations import Name, OrgId
from zhdj_registry.vocabulary import VENUE_STATUS_LABELS, VenueStatus

Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Facility = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
OpenHours = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class VenueCreate(Strict):
    name: Name
    owner_org_id: OrgId
    address: Address
    capacity: int = Field(ge=0, le=100_000, description="People it holds")
    facilities: list[Facility] = Field(default_factory=list, max_length=50)
    open_hours: OpenHours | None = Field(
        default=None, description="Free text, e.g. 周一至周五 9:00-17:00"
    )
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class VenueUpdate(Strict):
    name: Name | None = None
    address: Address | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000)
    facilities: list[Facility] | None = Field(default=None, max_length=50)
    open_hours: OpenHours | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    status: VenueStatus | None = None


class VenueLinkCreate(Strict):
    venue_id: OrgId
    linked_on: date | None = Field(default=None, description="Defaults to today")
    is_office: bool = Field(default=False, description="The alliance's fixed office (固定办公场所)")
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class VenueLinkEnd(Strict):
    unlinked_on: date | None = Field(
        default=None, description="First day no longer shared; defaults to today"
    )


class VenueLinkRead(BaseModel):
    id: str
    alliance_id: str
    alliance_name: str
    venue_id: str
    venue_name: str
    linked_on: date
    unlinked_on: date | None
    is_office: bool
    note: str | None

    @classmethod
    def of(cls, link: AllianceVenue, venue: Venue, alliance_name: str) -> VenueLinkRead:
        return cls(
            id=link.id,
            alliance_id=link.alliance_id,
            alliance_name=alliance_name,
            venue_id=venue.id,
            venue_name=venue.name,
            linked_on=link.linked_on,
            unlinked_on=link.unlinked_on,
            is_office=link.is_office,
            note=link.note,
        )


class VenueRead(BaseModel):
    id: str
    name: str
    owner_org: OrgRef
    address: str
    capacity: int
    facilities: list[str]
    open_hours: str | None
    latitude: float | None
    longitude: float | None
    description: str | None
    status: VenueStatus
    status_label: str
    alliances: list[VenueLinkRead] = Field(description="Alliances sharing it today")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, venue: Venue, owner: OrgRef, links: list[VenueLinkRead]) -> VenueRead:
        status = VenueStatus(venue.status)
        return cls(
            id=venue.id,
            name=venue.name,
            owner_org=owner,
            address=venue.address,
            capacity=venue.capacity,
            facilities=list(venue.facilities or []),
            open_hours=venue.open_hours,
            latitude=venue.latitude,
            longitude=venue.longitude,
            description=venue.description,
            status=status,
            status_label=VENUE_STATUS_LABELS[status],
            alliances=links,
            created_at=venue.created_at,
            updated_at=venue.updated_at,
        )
