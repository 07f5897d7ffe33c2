"""``/api/registry/grids`` and ``/api/registry/households``: community grids (社区网格家庭信息).

Only the community's staff (and administrators) see them; a single grid or household outside
what the caller may see answers 404, a list 403. Residents read their own household at
``/households/mine``; the service-requests service routes by ``/households/by-user/{user_id}``
and ``/grids/locate``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from zhdj_registry.repositories.grids import GridRepository, HouseholdFilters
from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.grids import (
    GridCreate,
    GridLocation,
    GridRead,
    GridUpdate,
    HouseholdCreate,
    HouseholdRead,
    HouseholdRoute,
    HouseholdUpdate,
)
from zhdj_registry.services.grids import GridService
from zhdj_registry.vocabulary import CareFlag
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page, PageParams, page_params

GRIDS = "/api/registry/grids"
HOUSEHOLDS = "/api/registry/households"
grids_router = APIRouter(prefix=GRIDS, tags=["grids"])
households_router = APIRouter(prefix=HOUSEHOLDS, tags=["grids"])

IdPath = Annotated[str, Path(min_length=1, max_length=64)]
Pages = Annotated[PageParams, Depends(page_params)]


async def grid_service(session: SessionDep) -> GridService:
    return GridService(GridRepository(session), OrganizationRepository(session))


Grids = Annotated[GridService, Depends(grid_service)]


@grids_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a grid in a community the caller serves",
    responses=problem_responses(409),
)
async def create_grid(
    body: GridCreate, principal: Writer, service: Grids, response: Response
) -> GridRead:
    grid = await service.create_grid(principal, body)
    response.headers["Location"] = f"{GRIDS}/{grid.id}"
    return GridRead.of(grid)


@grids_router.get(
    "",
    summary="List grids of one community, or of every community the caller serves",
)
async def list_grids(
    principal: Reader,
    service: Grids,
    page: Pages,
    community_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[GridRead]:
    items, next_cursor = await service.list_grids(principal, community_id, page)
    return Page(items=[GridRead.of(g) for g in items], next_cursor=next_cursor)


@grids_router.get(
    "/locate",
    summary="The nearest grid whose circle contains a point (for routing requests)",
    description="Services (role `service`) search every grid; staff only the grids they serve. "
    "404 when no grid's circle contains the point.",
    responses=problem_responses(404),
)
async def locate_grid(
    principal: Reader,
    service: Grids,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
) -> GridLocation:
    grid, community, distance = await service.locate(principal, lat, lng)
    return GridLocation(
        grid=GridRead.of(grid),
        community_id=community.id,
        community_name=community.name,
        distance_m=round(distance, 1),
    )


@grids_router.get("/{grid_id}", summary="One grid", responses=problem_responses(404))
async def get_grid(grid_id: IdPath, principal: Reader, service: Grids) -> GridRead:
    return GridRead.of(await service.get_grid(principal, grid_id))


@grids_router.patch(
    "/{grid_id}", summary="Change a grid's details", responses=problem_responses(404, 409)
)
async def update_grid(
    grid_id: IdPath, body: GridUpdate, principal: Writer, service: Grids
) -> GridRead:
    return GridRead.of(await service.update_grid(principal, grid_id, body))


@grids_router.delete(
    "/{grid_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a grid without households",
    responses=problem_responses(404, 409),
)
async def delete_grid(grid_id: IdPath, principal: Writer, service: Grids) -> None:
    await service.delete_grid(principal, grid_id)


@households_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a household in a grid the caller serves",
    responses=problem_responses(409),
)
async def create_household(
    body: HouseholdCreate, principal: Writer, service: Grids, response: Response
) -> HouseholdRead:
    household = await service.create_household(principal, body)
    response.headers["Location"] = f"{HOUSEHOLDS}/{household.id}"
    return HouseholdRead.of(household)


@households_router.get(
    "",
    summary="List households of a community or grid the caller serves",
    description="Give `community_id` or `grid_id` (administrators may omit both); "
    "403 for anyone who is not staff of that community.",
)
async def list_households(
    principal: Reader,
    service: Grids,
    page: Pages,
    community_id: Annotated[str | None, Query(max_length=64)] = None,
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
    care_flag: CareFlag | None = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Head of household or address")
    ] = None,
) -> Page[HouseholdRead]:
    filters = HouseholdFilters(
        community_id=community_id,
        grid_id=grid_id,
        care_flag=care_flag.value if care_flag else None,
        text=q,
    )
    items, next_cursor = await service.list_households(principal, filters, page)
    return Page(items=[HouseholdRead.of(h) for h in items], next_cursor=next_cursor)


@households_router.get(
    "/mine",
    summary="The household linked to the caller's own account (residents; user tokens only)",
    responses=problem_responses(403, 404),
)
async def my_household(principal: Reader, service: Grids) -> HouseholdRead:
    return HouseholdRead.of(await service.my_household(principal))


@households_router.get(
    "/by-user/{user_id}",
    summary="Where a user's household is: household, grid and community (services, staff)",
    responses=problem_responses(404),
)
async def household_of_user(user_id: IdPath, principal: Reader, service: Grids) -> HouseholdRoute:
    return await service.route_of_user(principal, user_id)


@households_router.get("/{household_id}", summary="One household", responses=problem_responses(404))
async def get_household(household_id: IdPath, principal: Reader, service: Grids) -> HouseholdRead:
    return HouseholdRead.of(await service.get_household(principal, household_id))


@households_router.patch(
    "/{household_id}", summary="Change a household", responses=problem_responses(404, 409)
)
async def update_household(
    household_id: IdPath, body: HouseholdUpdate, principal: Writer, service: Grids
) -> HouseholdRead:
    return HouseholdRead.of(await service.update_household(principal, household_id, body))


@households_router.delete(
    "/{household_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a household (moved away)",
    responses=problem_responses(404),
)
async def delete_household(household_id: IdPath, principal: Writer, service: Grids) -> None:
    await service.delete_household(principal, household_id)
