"""``/api/registry/positions``: dated positions (职务) of members in organizations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from zhdj_registry.repositories.members import PositionFilters
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.routers.members import Members
from zhdj_registry.schemas.members import PositionCreate, PositionEnd, PositionRead
from zhdj_registry.vocabulary import PositionKind
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page, PageParams, page_params

PREFIX = "/api/registry/positions"
router = APIRouter(prefix=PREFIX, tags=["positions"])

PositionIdPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Appoint a member to a position in an organization the caller manages",
    responses=problem_responses(404, 409),
)
async def appoint(
    body: PositionCreate, principal: Writer, service: Members, response: Response
) -> PositionRead:
    position, member, org = await service.appoint(principal, body)
    response.headers["Location"] = f"{PREFIX}/{position.id}"
    return PositionRead.of(position, member, org)


@router.get(
    "",
    summary="Positions of an organization or a member: current, held on a date, or all",
)
async def list_positions(
    _principal: Reader,
    service: Members,
    page: Annotated[PageParams, Depends(page_params)],
    org_id: Annotated[str | None, Query(max_length=64)] = None,
    member_id: Annotated[str | None, Query(max_length=64)] = None,
    kind: PositionKind | None = None,
    at: Annotated[dt.date | None, Query(description="Held on this date")] = None,
    include_ended: Annotated[
        bool, Query(description="Past positions too (ignored with `at`)")
    ] = False,
) -> Page[PositionRead]:
    filters = PositionFilters(
        org_id=org_id,
        member_id=member_id,
        kind=kind.value if kind else None,
        at=at,
        include_ended=include_ended,
    )
    rows, next_cursor = await service.list_positions(filters, page)
    return Page(items=[PositionRead.of(*row) for row in rows], next_cursor=next_cursor)


@router.get("/{position_id}", summary="One position", responses=problem_responses(404))
async def get_position(
    position_id: PositionIdPath, _principal: Reader, service: Members
) -> PositionRead:
    return PositionRead.of(*await service.position(position_id))


@router.post("/{position_id}/end", summary="End a position", responses=problem_responses(404, 409))
async def end_position(
    position_id: PositionIdPath, body: PositionEnd, principal: Writer, service: Members
) -> PositionRead:
    return PositionRead.of(*await service.end_position(principal, position_id, body))
