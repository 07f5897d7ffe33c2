"""The registry's statistics: counts with codes and Chinese labels, rates as fractions."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Count(BaseModel):
    code: str
    label: str
    count: int


class YearCount(BaseModel):
    year: int
    count: int


class Scope(BaseModel):
    org_id: str | None = Field(description="None: the whole city")
    name: str | None


class OrganizationFigures(BaseModel):
    total: int
    by_kind: list[Count]
    by_sector: list[Count]


class MemberFigures(BaseModel):
    total: int
    by_status: list[Count]


class AllianceFigures(BaseModel):
    total: int = Field(
        description="Alliances led from the scope and live on `on`: founded by then, not "
        "dissolved by the end of that day"
    )
    by_pattern: list[Count]
    by_status: list[Count] = Field(description="By the status each had on `on`")
    demonstration_sites: int = Field(
        description="Of those alliances, the ones named 精品示范点 by `on`"
    )
    demonstration_sites_by_year: list[YearCount]


class AllianceCoverage(BaseModel):
    """How much of the scope's grassroots is inside a live alliance (党建联合体覆盖)."""

    organizations_covered: int
    grassroots_organizations: int
    organization_rate: float
    members_covered: int
    members: int
    member_rate: float


class UnitCoverage(BaseModel):
    """The two coverages (两个覆盖) of the units supervised from the scope."""

    units: int
    organization_covered: int
    work_covered: int
    blank_spots: int
    organization_rate: float
    work_rate: float
    overall_rate: float


class RegistryStatistics(BaseModel):
    scope: Scope
    on: date
    organizations: OrganizationFigures
    members: MemberFigures
    alliances: AllianceFigures
    alliance_coverage: AllianceCoverage
    unit_coverage: UnitCoverage
