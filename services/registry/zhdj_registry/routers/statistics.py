"""``/api/registry/statistics``: the registry's figures for the city or a subtree."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.repositories.statistics import StatisticsRepository
from zhdj_registry.routers.deps import Reader
from zhdj_registry.schemas.lookups import StatisticsBatch, StatisticsBatchRequest
from zhdj_registry.schemas.statistics import RegistryStatistics
from zhdj_registry.services.organizations import OrganizationService
from zhdj_registry.services.statistics import StatisticsService
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import problem_responses

router = APIRouter(prefix="/api/registry/statistics", tags=["statistics"])


async def statistics_service(session: SessionDep) -> StatisticsService:
    return StatisticsService(
        StatisticsRepository(session), OrganizationService(OrganizationRepository(session))
    )


@router.get(
    "",
    summary="Organizations, members, alliances, demonstration sites and coverage rates",
    responses=problem_responses(404),
)
async def get_statistics(
    _principal: Reader,
    service: Annotated[StatisticsService, Depends(statistics_service)],
    within: Annotated[
        str | None, Query(max_length=64, description="An organization; omitted: the whole city")
    ] = None,
    on: Annotated[date | None, Query(description="The date (Asia/Shanghai); default today")] = None,
) -> RegistryStatistics:
    return await service.figures(within, on or today_in_china())


@router.post(
    "/batch",
    summary="The figures of many subtrees at once, each as GET /statistics?within=&on= "
    "(unknown organizations in `missing`)",
    responses=problem_responses(403, 422),
)
async def batch_statistics(
    body: StatisticsBatchRequest,
    _principal: Reader,
    service: Annotated[StatisticsService, Depends(statistics_service)],
) -> StatisticsBatch:
    # Authorization as the single read: any principal with registry:read reads any scope's
    # figures (they are aggregates, no personal data), so there is nothing to refuse per item.
    on = body.on or today_in_china()
    items, missing = await service.figures_many(body.within, on)
    return StatisticsBatch(on=on, items=items, missing=missing)
