"""``/api/service-requests/statistics``: the 三率, on-time rate, handling time, volunteers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from zhdj_service_requests.routers.deps import Reader, Requests
from zhdj_service_requests.schemas.statistics import GroupBy, StatisticsRead
from zhdj_service_requests.services.statistics import statistics
from zhdj_shared.errors import problem_responses

router = APIRouter(prefix="/api/service-requests/statistics", tags=["statistics"])


@router.get(
    "",
    summary="Rates by organization, department, category, community or month (services too)",
    responses=problem_responses(403, 422),
)
async def get_statistics(
    principal: Reader,
    service: Requests,
    group_by: GroupBy = GroupBy.ORG,
    within: Annotated[str | None, Query(max_length=64)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> StatisticsRead:
    return await statistics(
        service, principal, group_by=group_by, within=within, date_from=date_from, date_to=date_to
    )
