"""Dashboards: overview, month-by-month trends, red/yellow/green warnings."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from zhdj_assessment.repositories.cycles import CycleRepository
from zhdj_assessment.routers.deps import Reader, sources_of
from zhdj_assessment.services import dashboards
from zhdj_assessment.settings import AssessmentSettings
from zhdj_assessment.sources import Sources
from zhdj_shared.cache import RecentResults
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import problem_responses

router = APIRouter(prefix="/api/assessment/dashboards", tags=["dashboards"])
Within = Annotated[
    str | None,
    Query(max_length=64, description="A subtree (a district, a street...); omitted: the city"),
]


class OverviewItem(BaseModel):
    cycle_id: str
    cycle_name: str
    period: str
    target_kind: str
    published_at: datetime | None
    targets: int = Field(description="Targets of the cycle in scope")
    complete: int
    grades: dict[str, int] = Field(description="Count per grade band (excellent..poor)")
    rectification: int
    incentive: int
    average_total: float | None


class OverviewRead(BaseModel):
    within: str | None
    items: list[OverviewItem] = Field(description="The latest published cycle of each kind")


class MonthRead(BaseModel):
    month: str
    activities: int | None = Field(description="Activities held (null: unavailable)")
    attendance_rate: float | None
    volunteer_person_times: int | None
    requests: int | None
    satisfaction_rate: float | None
    on_time_rate: float | None
    unavailable_sources: list[str]


CACHED = (
    "Computed at `computed_at`: the same question within ZHDJ_ASSESSMENT_DASHBOARD_CACHE_SECONDS "
    "gets the same answer (never one with an unavailable source)"
)


class TrendsRead(BaseModel):
    within: str | None
    year: int
    computed_at: datetime = Field(description=CACHED)
    months: list[MonthRead]


class CheckRead(BaseModel):
    code: str = Field(
        description="no_activity | overdue_requests | low_satisfaction | missing_convener"
    )
    level: str = Field(description="red | yellow | green | unavailable")
    reason: str
    source: str
    values: dict[str, Any] = Field(description="The source values the level came from")


class WarningRead(BaseModel):
    alliance_id: str
    name: str
    lead_org_id: str
    level: str = Field(description="The worst check: red, yellow or green")
    checks: list[CheckRead]


class WarningsRead(BaseModel):
    within: str | None
    on: date
    computed_at: datetime = Field(description=CACHED)
    counts: dict[str, int]
    items: list[WarningRead] = Field(description="Red first, then yellow, then green")


@router.get(
    "/overview",
    summary="Latest published results in a scope: grades, rectification, average (assessors; "
    "staff for their subtree)",
    responses=problem_responses(403, 404),
)
async def overview(
    principal: Reader,
    session: SessionDep,
    sources: Annotated[Sources, Depends(sources_of)],
    within: Within = None,
) -> OverviewRead:
    await dashboards.authorize_scope(principal, sources, within)
    items = await dashboards.overview(CycleRepository(session), within)
    return OverviewRead(within=within, items=[OverviewItem(**asdict(i)) for i in items])


@router.get(
    "/trends",
    summary="Month by month for a year: activities, attendance, volunteers, requests, "
    "satisfaction and on-time rates (null where a source is unavailable)",
    responses=problem_responses(403, 404),
)
async def trends(
    principal: Reader,
    request: Request,
    sources: Annotated[Sources, Depends(sources_of)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    within: Within = None,
) -> TrendsRead:
    await dashboards.authorize_scope(principal, sources, within)
    settings: AssessmentSettings = request.app.state.settings
    results: RecentResults[Any] = request.app.state.dashboard_results
    computed_at, months = await results.get(
        ("trends", within, year),
        lambda: dashboards.trends(sources, within, year, settings.fetch_concurrency),
        keep=lambda found: not any(m.unavailable_sources for m in found),
    )
    return TrendsRead(
        within=within,
        year=year,
        computed_at=computed_at,
        months=[MonthRead(**asdict(m)) for m in months],
    )


@router.get(
    "/warnings",
    summary="Red/yellow/green per alliance: no activity, overdue requests, low satisfaction, "
    "a missing convener (with reasons and source values)",
    responses=problem_responses(403, 404, 422),
)
async def warnings(
    principal: Reader,
    request: Request,
    sources: Annotated[Sources, Depends(sources_of)],
    within: Within = None,
    on: date | None = None,
) -> WarningsRead:
    await dashboards.authorize_scope(principal, sources, within)
    settings: AssessmentSettings = request.app.state.settings
    day = on or today_in_china()
    results: RecentResults[Any] = request.app.state.dashboard_results
    computed_at, found = await results.get(
        ("warnings", within, day),
        lambda: dashboards.warnings(sources, settings, within, day),
        keep=lambda found: not any(c.level == "unavailable" for w in found for c in w.checks),
    )
    order = {dashboards.RED: 0, dashboards.YELLOW: 1, dashboards.GREEN: 2}
    found = sorted(found, key=lambda w: (order[w.level], w.alliance_id))
    counts = {level: sum(1 for w in found if w.level == level) for level in order}
    return WarningsRead(
        within=within,
        on=day,
        computed_at=computed_at,
        counts=counts,
        items=[
            WarningRead(
                alliance_id=w.alliance_id,
                name=w.name,
                lead_org_id=w.lead_org_id,
                level=w.level,
                checks=[CheckRead(**asdict(c)) for c in w.checks],
            )
            for w in found
        ],
    )
