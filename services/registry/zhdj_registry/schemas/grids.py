"""API shapes of community grids and households."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhdj_registry.models import Grid, Household
from zhdj_registry.vocabulary import CARE_FLAG_LABELS, CareFlag

Text32 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text128 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Text256 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{3,32}$")]
GridCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z_\-]{1,64}$")
]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
# A grid is a few streets; 20 km bounds the search box of ``locate``.
MAX_RADIUS_M = 20_000
Radius = Annotated[int, Field(ge=1, le=MAX_RADIUS_M, description="Metres around the centre")]


class _GeoFields(BaseModel):
    center_lat: Latitude | None = None
    center_lng: Longitude | None = None
    radius_m: Radius | None = None

    @model_validator(mode="after")
    def _all_or_none(self) -> _GeoFields:
        values = (self.center_lat, self.center_lng, self.radius_m)
        if any(v is None for v in values) and any(v is not None for v in values):
            raise ValueError("give center_lat, center_lng and radius_m together, or none of them")
        return self


class GridCreate(_GeoFields):
    model_config = ConfigDict(extra="forbid")

    community_id: Id = Field(description="A community_committee or village_committee")
    name: Text128
    code: GridCode = Field(description="Unique within the community, e.g. 01 or A-3")
    worker_name: Text64 | None = Field(default=None, description="网格员")
    worker_phone: Phone | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class GridUpdate(_GeoFields):
    model_config = ConfigDict(extra="forbid")

    name: Text128 | None = None
    code: GridCode | None = None
    worker_name: Text64 | None = None
    worker_phone: Phone | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> GridUpdate:
        for field in ("name", "code"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be removed")
        return self


class GridRead(BaseModel):
    id: str
    community_id: str
    name: str
    code: str
    worker_name: str | None
    worker_phone: str | None
    description: str | None
    center_lat: float | None
    center_lng: float | None
    radius_m: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, grid: Grid) -> GridRead:
        return cls.model_validate(grid, from_attributes=True)


class GridLocation(BaseModel):
    """The grid whose circle contains a point (for routing one-tap requests)."""

    grid: GridRead
    community_id: str
    community_name: str
    distance_m: float = Field(description="From the grid's centre to the point")


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grid_id: Id
    address: Text256
    building: Text32 | None = Field(default=None, description="楼栋")
    unit: Text32 | None = Field(default=None, description="单元")
    room: Text32 | None = Field(default=None, description="房号")
    head_name: Text64 = Field(description="户主")
    contact_phone: Phone | None = None
    members_count: int = Field(default=1, ge=1, le=99)
    care_flags: list[CareFlag] = Field(default_factory=list, max_length=len(CareFlag))
    user_id: Id | None = Field(default=None, description="The resident's gateway account")
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class HouseholdUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grid_id: Id | None = Field(default=None, description="Move to another grid")
    address: Text256 | None = None
    building: Text32 | None = None
    unit: Text32 | None = None
    room: Text32 | None = None
    head_name: Text64 | None = None
    contact_phone: Phone | None = None
    members_count: int | None = Field(default=None, ge=1, le=99)
    care_flags: list[CareFlag] | None = Field(default=None, max_length=len(CareFlag))
    user_id: Id | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> HouseholdUpdate:
        for field in ("grid_id", "address", "head_name", "members_count", "care_flags"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be removed")
        return self


class CareFlagLabel(BaseModel):
    code: CareFlag
    label: str


class HouseholdRead(BaseModel):
    id: str
    grid_id: str
    community_id: str
    address: str
    building: str | None
    unit: str | None
    room: str | None
    head_name: str
    contact_phone: str | None
    members_count: int
    care_flags: list[CareFlagLabel]
    user_id: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, household: Household) -> HouseholdRead:
        flags = [CareFlag(code) for code in household.flags()]
        return cls(
            id=household.id,
            grid_id=household.grid_id,
            community_id=household.community_id,
            address=household.address,
            building=household.building,
            unit=household.unit,
            room=household.room,
            head_name=household.head_name,
            contact_phone=household.contact_phone,
            members_count=household.members_count,
            care_flags=[CareFlagLabel(code=f, label=CARE_FLAG_LABELS[f]) for f in flags],
            user_id=household.user_id,
            note=household.note,
            created_at=household.created_at,
            updated_at=household.updated_at,
        )


class HouseholdRoute(BaseModel):
    """Where a resident's household sits: what the service-requests service routes by."""

    household_id: str
    grid_id: str
    grid_name: str
    grid_worker_name: str | None
    grid_worker_phone: str | None
    community_id: str
    community_name: str
