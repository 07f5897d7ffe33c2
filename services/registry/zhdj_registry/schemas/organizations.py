"""API shapes of organizations: enums as stable codes, with Chinese labels beside them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhdj_registry.models import Organization, OrganizationMoveEntry
from zhdj_registry.vocabulary import (
    ORG_KIND_LABELS,
    ORG_STATUS_LABELS,
    SECTOR_LABELS,
    OrgKind,
    OrgStatus,
    Sector,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{3,32}$")]
AreaCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z-]{1,32}$")]
OrgId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    short_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = (
        None
    )
    kind: OrgKind
    sector: Sector
    parent_id: OrgId | None = Field(default=None, description="Omit only for a root (市委)")
    area_code: AreaCode | None = Field(default=None, description="行政区划代码 of its area")
    address: ShortText | None = None
    contact_phone: Phone | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    established_on: date | None = None


class OrganizationUpdate(BaseModel):
    """Fields a PATCH may change; the parent changes only through ``/move``."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    short_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = (
        None
    )
    kind: OrgKind | None = None
    sector: Sector | None = None
    area_code: AreaCode | None = None
    address: ShortText | None = None
    contact_phone: Phone | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    established_on: date | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> OrganizationUpdate:
        for field in ("name", "kind", "sector"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be removed")
        return self


class OrganizationMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_id: OrgId


class OrganizationDissolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class OrganizationRead(BaseModel):
    id: str
    name: str
    short_name: str | None
    kind: OrgKind
    kind_label: str
    sector: Sector
    sector_label: str
    parent_id: str | None
    ancestor_ids: list[str] = Field(description="From the root down to the parent")
    depth: int
    area_code: str | None
    address: str | None
    contact_phone: str | None
    description: str | None
    established_on: date | None
    status: OrgStatus
    status_label: str
    dissolved_at: datetime | None
    dissolution_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, org: Organization) -> OrganizationRead:
        kind, sector, status = OrgKind(org.kind), Sector(org.sector), OrgStatus(org.status)
        return cls(
            id=org.id,
            name=org.name,
            short_name=org.short_name,
            kind=kind,
            kind_label=ORG_KIND_LABELS[kind],
            sector=sector,
            sector_label=SECTOR_LABELS[sector],
            parent_id=org.parent_id,
            ancestor_ids=org.ancestry()[:-1],
            depth=org.depth,
            area_code=org.area_code,
            address=org.address,
            contact_phone=org.contact_phone,
            description=org.description,
            established_on=org.established_on,
            status=status,
            status_label=ORG_STATUS_LABELS[status],
            dissolved_at=org.dissolved_at,
            dissolution_reason=org.dissolution_reason,
            created_at=org.created_at,
            updated_at=org.updated_at,
        )


class OrganizationNode(BaseModel):
    """One organization in a nested tree view."""

    id: str
    name: str
    kind: OrgKind
    kind_label: str
    sector: Sector
    status: OrgStatus
    children: list[OrganizationNode] = Field(default_factory=list)


class Ancestry(BaseModel):
    """The path from the root to an organization (used by other services for authorization)."""

    id: str
    ancestor_ids: list[str] = Field(description="From the root down to the organization itself")
    items: list[OrganizationNode]


class Label(BaseModel):
    code: str
    label: str


class Vocabulary(BaseModel):
    kinds: list[Label]
    sectors: list[Label]
    statuses: list[Label]


class MoveRead(BaseModel):
    """One line of the moves log: every path starting with ``old_path`` now starts with
    ``new_path`` instead (the registry's paths: ``/root/.../org/``)."""

    seq: int
    organization_id: str
    old_path: str
    new_path: str
    moved_at: datetime

    @classmethod
    def of(cls, entry: OrganizationMoveEntry) -> MoveRead:
        return cls(
            seq=entry.seq,
            organization_id=entry.organization_id,
            old_path=entry.old_path,
            new_path=entry.new_path,
            moved_at=entry.moved_at,
        )


class MovesPage(BaseModel):
    items: list[MoveRead] = Field(description="In `seq` order")
    next: int = Field(
        description="The `after` of the next call: the last item's `seq`, or the `after` "
        "given when there is nothing new"
    )
    more: bool = Field(description="The page was full: call again at once with `next`")
