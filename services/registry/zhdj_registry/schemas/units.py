"""API shapes of units and coverage figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from zhdj_registry.codes import normalize_credit_code
from zhdj_registry.models import Unit
from zhdj_registry.vocabulary import (
    COVERAGE_STATUS_LABELS,
    SECTOR_LABELS,
    UNIT_KIND_LABELS,
    UNIT_STATUS_LABELS,
    CoverageStatus,
    Sector,
    UnitKind,
    UnitStatus,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]
AreaCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z-]{1,32}$")]
OrgId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
CreditCode = Annotated[str, AfterValidator(normalize_credit_code)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: UnitKind
    sector: Sector
    supervising_org_id: OrgId = Field(description="The organization responsible for the unit")
    area_code: AreaCode | None = Field(default=None, description="行政区划代码")
    area_name: ShortName | None = None
    address: ShortText | None = None
    credit_code: CreditCode | None = Field(default=None, description="统一社会信用代码")
    employees: Count | None = None
    party_members: Count | None = None


class UnitUpdate(BaseModel):
    """Fields a PATCH may change; coverage changes through ``PUT /units/{id}/coverage``."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: UnitKind | None = None
    sector: Sector | None = None
    supervising_org_id: OrgId | None = None
    area_code: AreaCode | None = None
    area_name: ShortName | None = None
    address: ShortText | None = None
    credit_code: CreditCode | None = None
    employees: Count | None = None
    party_members: Count | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> UnitUpdate:
        for field in ("name", "kind", "sector", "supervising_org_id"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be removed")
        return self


class UnitCoverageSet(BaseModel):
    """The whole coverage of a unit (replaces what was there). All empty: a blank spot."""

    model_config = ConfigDict(extra="forbid")

    own_org_id: OrgId | None = Field(default=None, description="Its own party organization")
    covering_org_id: OrgId | None = Field(
        default=None, description="A joint organization covering it (work coverage)"
    )
    instructor_name: ShortName | None = Field(
        default=None, description="Party-building instructor (work coverage)"
    )
    instructor_member_id: OrgId | None = Field(
        default=None, description="The instructor's member record, when they are a member"
    )


class UnitDeactivate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class UnitRead(BaseModel):
    id: str
    name: str
    kind: UnitKind
    kind_label: str
    sector: Sector
    sector_label: str
    area_code: str | None
    area_name: str | None
    address: str | None
    credit_code: str | None
    employees: int | None
    party_members: int | None
    supervising_org_id: str
    coverage: CoverageStatus
    coverage_label: str
    own_org_id: str | None
    covering_org_id: str | None
    instructor_name: str | None
    instructor_member_id: str | None
    status: UnitStatus
    status_label: str
    deactivated_at: datetime | None
    deactivation_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, unit: Unit) -> UnitRead:
        kind, sector = UnitKind(unit.kind), Sector(unit.sector)
        coverage, status = CoverageStatus(unit.coverage), UnitStatus(unit.status)
        return cls(
            id=unit.id,
            name=unit.name,
            kind=kind,
            kind_label=UNIT_KIND_LABELS[kind],
            sector=sector,
            sector_label=SECTOR_LABELS[sector],
            area_code=unit.area_code,
            area_name=unit.area_name,
            address=unit.address,
            credit_code=unit.credit_code,
            employees=unit.employees,
            party_members=unit.party_members,
            supervising_org_id=unit.supervising_org_id,
            coverage=coverage,
            coverage_label=COVERAGE_STATUS_LABELS[coverage],
            own_org_id=unit.own_org_id,
            covering_org_id=unit.covering_org_id,
            instructor_name=unit.instructor_name,
            instructor_member_id=unit.instructor_member_id,
            status=status,
            status_label=UNIT_STATUS_LABELS[status],
            deactivated_at=unit.deactivated_at,
            deactivation_reason=unit.deactivation_reason,
            created_at=unit.created_at,
            updated_at=unit.updated_at,
        )


class CoverageFigures(BaseModel):
    key: str | None = Field(description="Sector code or area code; null: units without an area")
    label: str | None
    units: int
    organization_covered: int
    work_covered: int
    covered: int = Field(description="Organization-covered plus work-covered")
    blank: int
    organization_coverage_rate: float | None = Field(description="Fraction, 4 decimals")
    work_coverage_rate: float | None
    coverage_rate: float | None
    blank_rate: float | None


class CoverageReport(BaseModel):
    within: str | None
    by: str
    total: CoverageFigures
    groups: list[CoverageFigures]
