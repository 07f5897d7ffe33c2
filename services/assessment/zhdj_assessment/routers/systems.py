"""Indicator systems and the metrics automatic indicators may use."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from zhdj_assessment.routers.deps import Id, Paging, Reader, Systems, Writer
from zhdj_assessment.schemas.systems import MetricRead, SystemCreate, SystemRead
from zhdj_assessment.sources import METRICS
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

BASE = "/api/assessment"
router = APIRouter(prefix=BASE, tags=["indicator systems"])


@router.get("/metrics", summary="Metrics read from the other services, by target kind")
async def list_metrics(_principal: Reader) -> list[MetricRead]:
    return [
        MetricRead(code=m.code, source=m.source, label_zh=m.label_zh, target_kinds=sorted(m.kinds))
        for m in METRICS.values()
    ]


@router.get("/systems", summary="Indicator systems, every version (by code, then version)")
async def list_systems(_principal: Reader, service: Systems, page: Paging) -> Page[SystemRead]:
    found, next_cursor = await service.list_page(page)
    return Page(items=[SystemRead.of(s, rows) for s, rows in found], next_cursor=next_cursor)


@router.get(
    "/systems/{system_id}", summary="One version with its tree", responses=problem_responses(404)
)
async def get_system(system_id: Id, _principal: Reader, service: Systems) -> SystemRead:
    return SystemRead.of(*await service.get(system_id))


@router.post(
    "/systems",
    status_code=status.HTTP_201_CREATED,
    summary="A new system, or a new version of an existing code (assessors)",
    responses=problem_responses(403, 422),
)
async def create_system(
    body: SystemCreate, principal: Writer, service: Systems, response: Response
) -> SystemRead:
    system, rows = await service.create(principal, body)
    response.headers["Location"] = f"{BASE}/systems/{system.id}"
    return SystemRead.of(system, rows)
