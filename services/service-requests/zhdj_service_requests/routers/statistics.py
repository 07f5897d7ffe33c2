"""``/api/service-requests/statistics``: the 三率, on-time rate, handling time, volunteers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from zhdj_service_requests.routers.deps import Reader, Requests
from zhdj_service_requests.schemas.statistics import (
    GroupBy,
    GroupStatistics,
    ScopeStatistics,
    StatisticsBatchRead,
    StatisticsBatchRequest,
    StatisticsRead,
)
from zhdj_service_requests.services.statistics import statistics, statistics_many
from zhdj_shared.batch import ItemProblem
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


@router.post(
    "/batch",
    summary="The overall figures of many subtrees at once (each as GET /statistics?within=); "
    "a scope refused or unknown is its item's problem",
    responses=problem_responses(403, 422, 503),
)
async def statistics_batch(
    body: StatisticsBatchRequest, principal: Reader, service: Requests
) -> StatisticsBatchRead:
    answers = await statistics_many(service, principal, body.within, body.date_from, body.date_to)
    items = []
    for org_id in body.within:
        answer = answers[org_id]
        if isinstance(answer, GroupStatistics):
            items.append(ScopeStatistics(within=org_id, overall=answer))
        else:
            items.append(
                ScopeStatistics(within=org_id, overall=None, problem=ItemProblem.of(answer))
            )
    return StatisticsBatchRead(date_from=body.date_from, date_to=body.date_to, items=items)
