"""``/api/registry/units`` and ``/api/registry/coverage``: units and the two coverages."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from zhdj_registry.repositories.members import MemberRepository
from zhdj_registry.repositories.units import UnitFilters, UnitRepository
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.units import (
    CoverageReport,
    UnitCoverageSet,
    UnitCreate,
    UnitDeactivate,
    UnitRead,
    UnitUpdate,
)
from zhdj_registry.services.units import UnitService
from zhdj_registry.vocabulary import CoverageStatus, Sector, UnitKind
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page, PageParams, page_params

PREFIX = "/api/registry/units"
router = APIRouter(prefix=PREFIX, tags=["units"])
coverage_router = APIRouter(prefix="/api/registry/coverage", tags=["units"])

UnitIdPath = Annotated[str, Path(min_length=1, max_length=64)]
Within = Annotated[
    str | None,
    Query(max_length=64, description="Units supervised by this organization or any below it"),
]


async def unit_service(session: SessionDep) -> UnitService:
    return UnitService(UnitRepository(session), MemberRepository(session))


Units = Annotated[UnitService, Depends(unit_service)]
Paging = Annotated[PageParams, Depends(page_params)]


class CoverageGrouping(StrEnum):
    SECTOR = "sector"
    AREA = "area"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a unit under a supervising organization the caller acts for",
    responses=problem_responses(404, 409),
)
async def create_unit(
    body: UnitCreate, principal: Writer, service: Units, response: Response
) -> UnitRead:
    unit = await service.create(principal, body)
    response.headers["Location"] = f"{PREFIX}/{unit.id}"
    return UnitRead.of(unit)


@router.get(
    "",
    summary="List units (filters; a supervising subtree with `within`)",
    responses=problem_responses(404),
)
async def list_units(
    _principal: Reader,
    service: Units,
    page: Paging,
    within: Within = None,
    kind: UnitKind | None = None,
    sector: Sector | None = None,
    area_code: Annotated[str | None, Query(max_length=32)] = None,
    coverage: CoverageStatus | None = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Chinese text, pinyin or initials"),
    ] = None,
    include_inactive: bool = False,
) -> Page[UnitRead]:
    filters = UnitFilters(
        within=within,
        kind=kind.value if kind else None,
        sector=sector.value if sector else None,
        area_code=area_code,
        coverage=coverage.value if coverage else None,
        name=name,
        include_inactive=include_inactive,
    )
    items, next_cursor = await service.list_page(filters, page)
    return Page(items=[UnitRead.of(u) for u in items], next_cursor=next_cursor)


@router.get("/{unit_id}", summary="One unit", responses=problem_responses(404))
async def get_unit(unit_id: UnitIdPath, _principal: Reader, service: Units) -> UnitRead:
    return UnitRead.of(await service.get(unit_id))


@router.patch(
    "/{unit_id}", summary="Change a unit's details", responses=problem_responses(404, 409)
)
async def update_unit(
    unit_id: UnitIdPath, body: UnitUpdate, principal: Writer, service: Units
) -> UnitRead:
    return UnitRead.of(await service.update(principal, unit_id, body))


@router.put(
    "/{unit_id}/coverage",
    summary="Set how the unit is covered (own organization, joint organization, instructor)",
    responses=problem_responses(404, 409),
)
async def set_coverage(
    unit_id: UnitIdPath, body: UnitCoverageSet, principal: Writer, service: Units
) -> UnitRead:
    return UnitRead.of(await service.set_coverage(principal, unit_id, body))


@router.delete(
    "/{unit_id}/coverage",
    summary="Clear the unit's coverage (it becomes a blank spot)",
    responses=problem_responses(404, 409),
)
async def clear_coverage(unit_id: UnitIdPath, principal: Writer, service: Units) -> UnitRead:
    return UnitRead.of(await service.set_coverage(principal, unit_id, UnitCoverageSet()))


@router.post(
    "/{unit_id}/deactivate",
    summary="Deactivate a unit (closed, merged...): it leaves lists and coverage figures",
    responses=problem_responses(404, 409),
)
async def deactivate_unit(
    unit_id: UnitIdPath, body: UnitDeactivate, principal: Writer, service: Units
) -> UnitRead:
    return UnitRead.of(await service.deactivate(principal, unit_id, body))


@coverage_router.get(
    "",
    summary="Coverage figures (units, organization / work covered, blank) by sector or area",
    responses=problem_responses(404),
)
async def coverage_figures(
    _principal: Reader,
    service: Units,
    within: Within = None,
    by: CoverageGrouping = CoverageGrouping.SECTOR,
) -> CoverageReport:
    return await service.coverage(within, by.value)


@coverage_router.get(
    "/blank-spots", summary="Units covered by nothing (空白点)", responses=problem_responses(404)
)
async def blank_spots(
    _principal: Reader, service: Units, page: Paging, within: Within = None
) -> Page[UnitRead]:
    items, next_cursor = await service.blank_spots(within, page)
    return Page(items=[UnitRead.of(u) for u in items], next_cursor=next_cursor)
