"""API shapes of alliances, their members, chains, leadership team, conveners and designations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhdj_registry.models import (
    Alliance,
    AllianceAppointment,
    AllianceChain,
    AllianceDesignation,
    AllianceMember,
    AllianceStatusChange,
    ConvenerPeriod,
    Organization,
)
from zhdj_registry.schemas.organizations import AreaCode, Name, OrgId
from zhdj_registry.vocabulary import (
    ALLIANCE_PATTERN_LABELS,
    ALLIANCE_ROLE_LABELS,
    ALLIANCE_STATUS_LABELS,
    CHAIN_KIND_LABELS,
    ORG_KIND_LABELS,
    SECTOR_LABELS,
    AlliancePattern,
    AllianceRole,
    AllianceStatus,
    ChainKind,
    OrgKind,
    Sector,
)

MemberId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=2000)]
DEMONSTRATION_TITLE = "融合党建精品示范点"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- alliances ----------------------------------------------------------------------------------


class AllianceCreate(Strict):
    name: Name
    pattern: AlliancePattern
    lead_org_id: OrgId = Field(description="Lead organization; it joins as the first member")
    area_code: AreaCode | None = None
    area_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = (
        None
    )
    founded_on: date
    description: LongText | None = None
    member_org_ids: list[OrgId] = Field(
        default_factory=list, max_length=500, description="Further members, joined on founded_on"
    )


class AllianceUpdate(Strict):
    name: Name | None = None
    pattern: AlliancePattern | None = None
    area_code: AreaCode | None = None
    area_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = (
        None
    )
    founded_on: date | None = None
    description: LongText | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> AllianceUpdate:
        for field in ("name", "pattern", "founded_on"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be removed")
        return self


class AllianceStatusUpdate(Strict):
    status: AllianceStatus
    reason: Reason


class LeadHandover(Strict):
    org_id: OrgId = Field(description="The new lead: a current member organization")


class AllianceFacts(BaseModel):
    """Figures derived from the alliance's rows, computed for a page of alliances at once."""

    sectors: list[str] = Field(default_factory=list)
    member_count: int = 0
    demonstration_years: list[int] = Field(default_factory=list)


class AllianceRead(BaseModel):
    id: str
    name: str
    pattern: AlliancePattern
    pattern_label: str
    lead_org_id: str
    area_code: str | None
    area_name: str | None
    founded_on: date
    description: str | None
    status: AllianceStatus
    status_label: str
    status_reason: str | None
    status_changed_at: datetime | None
    sectors: list[Sector] = Field(description="Sectors of the current member organizations")
    sector_labels: list[str]
    member_count: int = Field(description="Current member organizations")
    demonstration_years: list[int] = Field(description="Years designated 融合党建精品示范点")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, alliance: Alliance, facts: AllianceFacts) -> AllianceRead:
        pattern, status = AlliancePattern(alliance.pattern), AllianceStatus(alliance.status)
        sectors = [Sector(s) for s in facts.sectors]
        return cls(
            id=alliance.id,
            name=alliance.name,
            pattern=pattern,
            pattern_label=ALLIANCE_PATTERN_LABELS[pattern],
            lead_org_id=alliance.lead_org_id,
            area_code=alliance.area_code,
            area_name=alliance.area_name,
            founded_on=alliance.founded_on,
            description=alliance.description,
            status=status,
            status_label=ALLIANCE_STATUS_LABELS[status],
            status_reason=alliance.status_reason,
            status_changed_at=alliance.status_changed_at,
            sectors=sectors,
            sector_labels=[SECTOR_LABELS[s] for s in sectors],
            member_count=facts.member_count,
            demonstration_years=facts.demonstration_years,
            created_at=alliance.created_at,
            updated_at=alliance.updated_at,
        )


class StatusChangeRead(BaseModel):
    id: str
    from_status: AllianceStatus
    to_status: AllianceStatus
    to_status_label: str
    reason: str
    changed_by: str
    changed_at: datetime

    @classmethod
    def of(cls, row: AllianceStatusChange) -> StatusChangeRead:
        to_status = AllianceStatus(row.to_status)
        return cls(
            id=row.id,
            from_status=AllianceStatus(row.from_status),
            to_status=to_status,
            to_status_label=ALLIANCE_STATUS_LABELS[to_status],
            reason=row.reason,
            changed_by=row.changed_by,
            changed_at=row.changed_at,
        )


class DesignationCreate(Strict):
    year: int = Field(ge=2000, le=2100)
    title: Name = DEMONSTRATION_TITLE
    designated_on: date | None = None


class DesignationRead(BaseModel):
    alliance_id: str
    alliance_name: str
    pattern: AlliancePattern
    pattern_label: str
    year: int
    title: str
    designated_on: date | None

    @classmethod
    def of(cls, row: AllianceDesignation, alliance: Alliance) -> DesignationRead:
        pattern = AlliancePattern(alliance.pattern)
        return cls(
            alliance_id=alliance.id,
            alliance_name=alliance.name,
            pattern=pattern,
            pattern_label=ALLIANCE_PATTERN_LABELS[pattern],
            year=row.year,
            title=row.title,
            designated_on=row.designated_on,
        )


# --- members ------------------------------------------------------------------------------------


class MemberAdd(Strict):
    org_id: OrgId
    joined_on: date | None = Field(default=None, description="Defaults to today")


class MemberLeave(Strict):
    left_on: date | None = Field(
        default=None, description="First day no longer a member; defaults to today"
    )
    reason: Reason | None = None


class MemberRead(BaseModel):
    id: str = Field(description="Id of this membership (a rejoin is a new one)")
    alliance_id: str
    org_id: str
    org_name: str
    org_kind: OrgKind
    org_kind_label: str
    sector: Sector
    sector_label: str
    area_code: str | None
    joined_on: date
    left_on: date | None = Field(description="First day no longer a member")
    leave_reason: str | None

    @classmethod
    def of(cls, row: AllianceMember, org: Organization) -> MemberRead:
        kind, sector = OrgKind(org.kind), Sector(org.sector)
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            org_id=org.id,
            org_name=org.name,
            org_kind=kind,
            org_kind_label=ORG_KIND_LABELS[kind],
            sector=sector,
            sector_label=SECTOR_LABELS[sector],
            area_code=org.area_code,
            joined_on=row.joined_on,
            left_on=row.left_on,
            leave_reason=row.leave_reason,
        )


# --- chains -------------------------------------------------------------------------------------


class ChainCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    kind: ChainKind = ChainKind.OTHER
    lead_org_id: OrgId | None = Field(default=None, description="The general branch leading it")
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    member_org_ids: list[OrgId] = Field(default_factory=list, max_length=500)


class ChainMemberAdd(Strict):
    org_id: OrgId


class OrgRef(BaseModel):
    id: str
    name: str

    @classmethod
    def of(cls, org: Organization) -> OrgRef:
        return cls(id=org.id, name=org.name)


class ChainRead(BaseModel):
    id: str
    alliance_id: str
    name: str
    kind: ChainKind
    kind_label: str
    lead_org: OrgRef | None
    description: str | None
    members: list[OrgRef]

    @classmethod
    def of(
        cls, chain: AllianceChain, lead: Organization | None, members: list[Organization]
    ) -> ChainRead:
        kind = ChainKind(chain.kind)
        return cls(
            id=chain.id,
            alliance_id=chain.alliance_id,
            name=chain.name,
            kind=kind,
            kind_label=CHAIN_KIND_LABELS[kind],
            lead_org=OrgRef.of(lead) if lead else None,
            description=chain.description,
            members=[OrgRef.of(o) for o in members],
        )


# --- leadership team ----------------------------------------------------------------------------


class AppointmentCreate(Strict):
    member_id: MemberId
    person_name: PersonName
    role: AllianceRole
    home_org_id: OrgId = Field(description="The organization the person sits for")
    started_on: date
    ended_on: date | None = Field(default=None, description="Last day held (inclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> AppointmentCreate:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class AppointmentEnd(Strict):
    ended_on: date = Field(description="Last day held (inclusive)")


class AppointmentRead(BaseModel):
    id: str
    alliance_id: str
    member_id: str
    person_name: str
    role: AllianceRole
    role_label: str
    home_org: OrgRef
    cross_appointed: bool = Field(description="Sits for an organization other than the lead")
    started_on: date
    ended_on: date | None

    @classmethod
    def of(cls, row: AllianceAppointment, home: Organization, lead_org_id: str) -> AppointmentRead:
        role = AllianceRole(row.role)
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            member_id=row.member_id,
            person_name=row.person_name,
            role=role,
            role_label=ALLIANCE_ROLE_LABELS[role],
            home_org=OrgRef.of(home),
            cross_appointed=home.id != lead_org_id,
            started_on=row.started_on,
            ended_on=row.ended_on,
        )


# --- rotating conveners -------------------------------------------------------------------------


class ConvenerCreate(Strict):
    start_on: date
    end_on: date = Field(description="Last day of the period (inclusive)")
    org_id: OrgId = Field(description="The convening organization, a member for the period")
    member_id: MemberId | None = None
    person_name: PersonName | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ConvenerCreate:
        if self.end_on < self.start_on:
            raise ValueError("end_on is before start_on")
        if (self.member_id is None) != (self.person_name is None):
            raise ValueError("give both member_id and person_name, or neither")
        return self


class ConvenerRead(BaseModel):
    id: str
    alliance_id: str
    start_on: date
    end_on: date
    org: OrgRef
    member_id: str | None
    person_name: str | None

    @classmethod
    def of(cls, row: ConvenerPeriod, org: Organization) -> ConvenerRead:
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            start_on=row.start_on,
            end_on=row.end_on,
            org=OrgRef.of(org),
            member_id=row.member_id,
            person_name=row.person_name,
        )


class ConvenerOn(BaseModel):
    """Who convenes on a date; ``period`` is null when nobody does (a gap in the schedule)."""

    alliance_id: str
    on: date
    period: ConvenerRead | None
