"""API shapes of an alliance's support (funds, staff) and its lists (供需, 项目, 协议承诺)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from zhdj_registry.models import (
    AllianceAgreement,
    AllianceProject,
    AllianceStaff,
    FundEntry,
    SupplyDemandItem,
    SupplyDemandMatch,
)
from zhdj_registry.schemas.alliances import MemberId, OrgRef, PersonName, Strict
from zhdj_registry.schemas.organizations import Name, OrgId, Phone
from zhdj_registry.vocabulary import (
    AGREEMENT_KIND_LABELS,
    FUND_ENTRY_KIND_LABELS,
    FUND_SOURCE_LABELS,
    PROJECT_STATUS_LABELS,
    STAFF_ENGAGEMENT_LABELS,
    SUPPLY_DEMAND_CATEGORY_LABELS,
    SUPPLY_DEMAND_KIND_LABELS,
    SUPPLY_DEMAND_STATUS_LABELS,
    AgreementKind,
    FundEntryKind,
    FundSource,
    ProjectStatus,
    StaffEngagement,
    SupplyDemandCategory,
    SupplyDemandKind,
    SupplyDemandStatus,
)

Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text2000 = Annotated[str, StringConstraints(max_length=2000)]
# One hundred million yuan in fen: far above any alliance's ledger line, far below int64.
MAX_FEN = 10_000_000_000

# --- funds (上级拨、各方筹、党费补) -------------------------------------------------------------


class FundEntryCreate(Strict):
    kind: FundEntryKind
    source: FundSource | None = Field(
        default=None, description="Required for income, absent for expense"
    )
    amount_fen: int = Field(gt=0, le=MAX_FEN, description="Amount in fen (分), an integer")
    occurred_on: date
    description: Text500
    contributor_org_id: OrgId | None = Field(
        default=None, description="For raised funds (各方筹): the contributing organization"
    )

    @model_validator(mode="after")
    def _source_matches_kind(self) -> FundEntryCreate:
        if self.kind == FundEntryKind.INCOME and self.source is None:
            raise ValueError("an income needs its source")
        if self.kind == FundEntryKind.EXPENSE and self.source is not None:
            raise ValueError("an expense has no source")
        if self.contributor_org_id is not None and self.source != FundSource.RAISED:
            raise ValueError("only raised funds (各方筹) name a contributing organization")
        return self


class FundEntryRead(BaseModel):
    id: str
    alliance_id: str
    seq: int
    kind: FundEntryKind
    kind_label: str
    source: FundSource | None
    source_label: str | None
    amount_fen: int
    signed_amount_fen: int = Field(description="Positive for income, negative for expense")
    balance_fen: int = Field(description="Running balance after this line")
    occurred_on: date
    description: str
    contributor_org_id: str | None
    recorded_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: FundEntry, balance_fen: int) -> FundEntryRead:
        kind = FundEntryKind(row.kind)
        source = FundSource(row.source) if row.source else None
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            seq=row.seq,
            kind=kind,
            kind_label=FUND_ENTRY_KIND_LABELS[kind],
            source=source,
            source_label=FUND_SOURCE_LABELS[source] if source else None,
            amount_fen=row.amount_fen,
            signed_amount_fen=row.amount_fen if kind == FundEntryKind.INCOME else -row.amount_fen,
            balance_fen=balance_fen,
            occurred_on=row.occurred_on,
            description=row.description,
            contributor_org_id=row.contributor_org_id,
            recorded_by=row.recorded_by,
            created_at=row.created_at,
        )


class SourceTotal(BaseModel):
    source: FundSource
    source_label: str
    income_fen: int


class FundSummary(BaseModel):
    alliance_id: str
    by_source: list[SourceTotal]
    income_fen: int
    expense_fen: int
    balance_fen: int
    entries: int


# --- full-time staff (专职党务工作者) ----------------------------------------------------------


class StaffCreate(Strict):
    member_id: MemberId
    person_name: PersonName
    home_org_id: OrgId | None = Field(default=None, description="For a cross appointment")
    engagement: StaffEngagement
    duty: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    contact_phone: Phone | None = None
    started_on: date
    ended_on: date | None = Field(default=None, description="Last day (inclusive)")

    @model_validator(mode="after")
    def _consistent(self) -> StaffCreate:
        if self.engagement == StaffEngagement.CROSS_APPOINTED and self.home_org_id is None:
            raise ValueError("a cross appointment names the home organization")
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class StaffEnd(Strict):
    ended_on: date


class StaffRead(BaseModel):
    id: str
    alliance_id: str
    member_id: str
    person_name: str
    home_org_id: str | None
    engagement: StaffEngagement
    engagement_label: str
    duty: str | None
    contact_phone: str | None
    started_on: date
    ended_on: date | None

    @classmethod
    def of(cls, row: AllianceStaff) -> StaffRead:
        engagement = StaffEngagement(row.engagement)
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            member_id=row.member_id,
            person_name=row.person_name,
            home_org_id=row.home_org_id,
            engagement=engagement,
            engagement_label=STAFF_ENGAGEMENT_LABELS[engagement],
            duty=row.duty,
            contact_phone=row.contact_phone,
            started_on=row.started_on,
            ended_on=row.ended_on,
        )


# --- supply-demand lists (供需清单) ----------------------------------------------------------


class ItemCreate(Strict):
    kind: SupplyDemandKind
    org_id: OrgId = Field(description="The member organization offering or needing")
    category: SupplyDemandCategory
    title: Name
    description: Text2000 | None = None


class MatchCreate(Strict):
    supply_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    demand_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    note: Text500 | None = None


class ItemRead(BaseModel):
    id: str
    alliance_id: str
    kind: SupplyDemandKind
    kind_label: str
    org: OrgRef
    category: SupplyDemandCategory
    category_label: str
    title: str
    description: str | None
    status: SupplyDemandStatus
    status_label: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: SupplyDemandItem, org: OrgRef) -> ItemRead:
        kind = SupplyDemandKind(row.kind)
        category, status = SupplyDemandCategory(row.category), SupplyDemandStatus(row.status)
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            kind=kind,
            kind_label=SUPPLY_DEMAND_KIND_LABELS[kind],
            org=org,
            category=category,
            category_label=SUPPLY_DEMAND_CATEGORY_LABELS[category],
            title=row.title,
            description=row.description,
            status=status,
            status_label=SUPPLY_DEMAND_STATUS_LABELS[status],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class MatchRead(BaseModel):
    id: str
    alliance_id: str
    supply_id: str
    demand_id: str
    note: str | None
    matched_by: str
    matched_at: datetime

    @classmethod
    def of(cls, row: SupplyDemandMatch) -> MatchRead:
        return cls.model_validate(row, from_attributes=True)


# --- project list (项目清单) -------------------------------------------------------------------


class ProjectCreate(Strict):
    name: Name
    lead_org_id: OrgId = Field(description="A member organization")
    start_on: date | None = None
    end_on: date | None = None
    status: ProjectStatus = ProjectStatus.PLANNED
    description: Text2000 | None = None


class ProjectUpdate(Strict):
    name: Name | None = None
    start_on: date | None = None
    end_on: date | None = None
    status: ProjectStatus | None = None
    description: Text2000 | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> ProjectUpdate:
        for field in ("name", "status"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be removed")
        return self


class ProgressCreate(Strict):
    on: date | None = Field(default=None, description="Defaults to today")
    note: Text2000


class ProgressNote(BaseModel):
    on: date
    note: str
    by: str


class ProjectRead(BaseModel):
    id: str
    alliance_id: str
    name: str
    lead_org: OrgRef
    start_on: date | None
    end_on: date | None
    status: ProjectStatus
    status_label: str
    description: str | None
    progress: list[ProgressNote]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: AllianceProject, lead: OrgRef) -> ProjectRead:
        status = ProjectStatus(row.status)
        notes: list[dict[str, Any]] = row.progress or []
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            name=row.name,
            lead_org=lead,
            start_on=row.start_on,
            end_on=row.end_on,
            status=status,
            status_label=PROJECT_STATUS_LABELS[status],
            description=row.description,
            progress=[ProgressNote.model_validate(n) for n in notes],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


# --- agreements and pledges (共建协议, 承诺书) --------------------------------------------------


class AgreementCreate(Strict):
    kind: AgreementKind
    title: Name
    party_org_ids: list[OrgId] = Field(
        min_length=1, max_length=100, description="Signing organizations; a pledge has one"
    )
    signed_on: date
    content: Annotated[str, StringConstraints(max_length=10000)] | None = None
    file_ref: Annotated[str, StringConstraints(max_length=512)] | None = Field(
        default=None, description="Reference of the scanned document in the file store"
    )

    @model_validator(mode="after")
    def _pledge_has_one_party(self) -> AgreementCreate:
        if self.kind == AgreementKind.PLEDGE and len(set(self.party_org_ids)) != 1:
            raise ValueError("a pledge is made by exactly one organization")
        return self


class AgreementRead(BaseModel):
    id: str
    alliance_id: str
    kind: AgreementKind
    kind_label: str
    title: str
    parties: list[OrgRef]
    signed_on: date
    content: str | None
    file_ref: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: AllianceAgreement, parties: list[OrgRef]) -> AgreementRead:
        kind = AgreementKind(row.kind)
        return cls(
            id=row.id,
            alliance_id=row.alliance_id,
            kind=kind,
            kind_label=AGREEMENT_KIND_LABELS[kind],
            title=row.title,
            parties=parties,
            signed_on=row.signed_on,
            content=row.content,
            file_ref=row.file_ref,
            created_by=row.created_by,
            created_at=row.created_at,
        )
