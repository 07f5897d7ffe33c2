"""The city report."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from zhdj_assessment.routers.deps import Reader, sources_of
from zhdj_assessment.services.report import ReportService, markdown
from zhdj_assessment.sources import Period, Sources
from zhdj_shared.errors import problem_responses

router = APIRouter(prefix="/api/assessment/reports", tags=["reports"])


class CityFiguresRead(BaseModel):
    demonstration_sites: int | None = Field(description="融合党建精品示范点")
    alliances: int | None = Field(description="党建联合体 (not dissolved)")
    organizations_covered: int | None = Field(description="基层党组织 inside an alliance")
    members_covered: int | None
    themed_party_days: int | None = Field(description="主题党日 held in the period")
    activities: int | None
    secretaries: int | None = Field(description="Member organizations' secretaries")
    secretaries_lectured: int | None = Field(description="... who gave a lecture this year")
    volunteer_teams: int | None
    volunteer_person_times: int | None = Field(description="志愿服务人次 in the period")
    requests: int | None
    requests_resolved: int | None
    satisfaction_rate: float | None
    unavailable_sources: list[str] = Field(description="Their figures are null, never zero")


class CityReportRead(BaseModel):
    period: str
    figures: CityFiguresRead
    markdown: str


@router.get(
    "/city",
    summary="The city report for a period: figures from live data and the Chinese text (assessors)",
    responses=problem_responses(403, 422),
)
async def city_report(
    principal: Reader,
    sources: Annotated[Sources, Depends(sources_of)],
    period: Annotated[
        str,
        # Years 1900 to 2999: ``date`` has no year 0.
        Query(pattern=r"^(?:19|2[0-9])[0-9]{2}(-Q[1-4])?$", description="2026 or 2026-Q1"),
    ],
) -> CityReportRead:
    year, _, quarter = period.partition("-Q")
    window = Period(int(year), int(quarter) if quarter else None)
    figures = await ReportService(sources).city(principal, window)
    return CityReportRead(
        period=window.code,
        figures=CityFiguresRead(**asdict(figures)),
        markdown=markdown(figures, window),
    )
