"""Rules of community grids and households.

Who sees them: the community's own staff (``org_staff`` or ``service_staff`` acting for the
community or an organization above it) and administrators. Everyone else is told a single
household or grid does not exist (404, its existence is not revealed) and is refused lists (403).
A resident reads only the household linked to their own account. The service-requests service
(role ``service``) may look a household up by user and a grid up by a point, to route requests.
"""

from __future__ import annotations

import math
from typing import Any

from zhdj_registry.models import Grid, Household, Organization
from zhdj_registry.models.grids import encode_flags
from zhdj_registry.repositories.grids import Box, GridRepository, HouseholdFilters
from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.schemas.grids import (
    MAX_RADIUS_M,
    GridCreate,
    GridUpdate,
    HouseholdCreate,
    HouseholdRoute,
    HouseholdUpdate,
)
from zhdj_registry.services.acting import require_user_token
from zhdj_registry.vocabulary import GRID_COMMUNITY_KINDS, ORG_KIND_LABELS, OrgKind, OrgStatus
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role

STAFF_ROLES = (Role.ORG_STAFF, Role.SERVICE_STAFF)
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0


def is_community_staff(principal: Principal, community: Organization) -> bool:
    """Staff acting for the community or above it, or an administrator."""
    return principal.has_role(*STAFF_ROLES) and principal.acts_for(community.ancestry())


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def search_box(lat: float, lng: float, radius_m: float) -> Box:
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
    return Box(lat - dlat, lat + dlat, lng - dlng, lng + dlng)


class GridService:
    def __init__(self, grids: GridRepository, orgs: OrganizationRepository) -> None:
        self.grids = grids
        self.orgs = orgs

    # --- grids ---------------------------------------------------------------------------

    async def get_grid(self, principal: Principal, grid_id: str) -> Grid:
        grid = await self.grids.get(grid_id)
        if grid is None or not await self._sees(principal, grid.community_id):
            raise NotFound(f"grid {grid_id} does not exist")
        return grid

    async def create_grid(self, principal: Principal, data: GridCreate) -> Grid:
        community = await self._community_for_write(principal, data.community_id)
        await self._check_code_free(community.id, data.code, exclude_id=None)
        grid = Grid(**data.model_dump())
        self.grids.add(grid)
        await self.grids.session.flush()
        return grid

    async def update_grid(self, principal: Principal, grid_id: str, data: GridUpdate) -> Grid:
        grid = await self.get_grid(principal, grid_id)
        changes = data.model_dump(exclude_unset=True)
        if "code" in changes and changes["code"] != grid.code:
            await self._check_code_free(grid.community_id, changes["code"], exclude_id=grid.id)
        merged = {
            k: changes.get(k, getattr(grid, k)) for k in ("center_lat", "center_lng", "radius_m")
        }
        if any(v is None for v in merged.values()) and any(v is not None for v in merged.values()):
            raise Unprocessable(
                "a grid has a centre and a radius together, or neither",
                errors=[FieldError(field="radius_m", message="incomplete circle")],
            )
        for field, value in changes.items():
            setattr(grid, field, value)
        grid.updated_at = utcnow()
        await self.grids.session.flush()
        return grid

    async def delete_grid(self, principal: Principal, grid_id: str) -> None:
        grid = await self.get_grid(principal, grid_id)
        if await self.grids.has_households(grid.id):
            raise Conflict("the grid still has households; move or delete them first")
        await self.grids.delete(grid)
        await self.grids.session.flush()

    async def list_grids(
        self, principal: Principal, community_id: str | None, page: PageParams
    ) -> tuple[list[Grid], str | None]:
        if community_id is not None:
            await self._community_for_listing(principal, community_id)
            paths = None
        else:
            paths = await self._visible_paths(principal)
        return await self.grids.list_grids(
            paths, community_id, limit=page.limit, cursor=page.cursor
        )

    async def locate(
        self, principal: Principal, lat: float, lng: float
    ) -> tuple[Grid, Organization, float]:
        """The nearest grid whose circle contains the point."""
        if principal.has_role(Role.SERVICE):
            paths = None
        else:
            paths = await self._visible_paths(principal)
        candidates = await self.grids.grids_in_box(search_box(lat, lng, MAX_RADIUS_M), paths)
        best: tuple[Grid, Organization, float] | None = None
        for grid, community in candidates:
            assert grid.center_lat is not None
            assert grid.center_lng is not None
            d = distance_m(lat, lng, grid.center_lat, grid.center_lng)
            if grid.radius_m is not None and d <= grid.radius_m and (best is None or d < best[2]):
                best = (grid, community, d)
        if best is None:
            raise NotFound("no grid covers this point")
        return best

    # --- households ----------------------------------------------------------------------

    async def get_household(self, principal: Principal, household_id: str) -> Household:
        household = await self.grids.get_household(household_id)
        if household is None or not await self._sees(principal, household.community_id):
            raise NotFound(f"household {household_id} does not exist")
        return household

    async def my_household(self, principal: Principal) -> Household:
        require_user_token(principal, "GET /households/mine")
        household = await self.grids.household_of_user(principal.subject)
        if household is None:
            raise NotFound("no household is linked to your account")
        return household

    async def route_of_user(self, principal: Principal, user_id: str) -> HouseholdRoute:
        if not principal.has_role(Role.SERVICE, *STAFF_ROLES):
            raise Forbidden("only services and community staff look households up by user")
        household = await self.grids.household_of_user(user_id)
        community = await self.orgs.get(household.community_id) if household else None
        visible = community is not None and (
            principal.has_role(Role.SERVICE) or is_community_staff(principal, community)
        )
        if household is None or community is None or not visible:
            raise NotFound("no household is linked to this user")
        grid = await self.grids.get(household.grid_id)
        assert grid is not None
        return HouseholdRoute(
            household_id=household.id,
            grid_id=grid.id,
            grid_name=grid.name,
            grid_worker_name=grid.worker_name,
            grid_worker_phone=grid.worker_phone,
            community_id=community.id,
            community_name=community.name,
        )

    async def create_household(self, principal: Principal, data: HouseholdCreate) -> Household:
        grid = await self._grid_for_write(principal, data.grid_id)
        if data.user_id is not None:
            await self._check_user_free(data.user_id, exclude_id=None)
        fields = data.model_dump(exclude={"care_flags"})
        household = Household(
            **fields, community_id=grid.community_id, care_flags=encode_flags(data.care_flags)
        )
        self.grids.add(household)
        await self.grids.session.flush()
        return household

    async def update_household(
        self, principal: Principal, household_id: str, data: HouseholdUpdate
    ) -> Household:
        household = await self.get_household(principal, household_id)
        changes: dict[str, Any] = data.model_dump(exclude_unset=True)
        if "grid_id" in changes and changes["grid_id"] != household.grid_id:
            grid = await self._grid_for_write(principal, changes["grid_id"])
            household.community_id = grid.community_id
        if changes.get("user_id") not in (None, household.user_id):
            await self._check_user_free(changes["user_id"], exclude_id=household.id)
        if "care_flags" in changes:
            changes["care_flags"] = encode_flags(changes["care_flags"])
        for field, value in changes.items():
            setattr(household, field, value)
        household.updated_at = utcnow()
        await self.grids.session.flush()
        return household

    async def delete_household(self, principal: Principal, household_id: str) -> None:
        household = await self.get_household(principal, household_id)
        await self.grids.delete(household)
        await self.grids.session.flush()

    async def list_households(
        self, principal: Principal, filters: HouseholdFilters, page: PageParams
    ) -> tuple[list[Household], str | None]:
        if filters.grid_id is not None:
            grid = await self.grids.get(filters.grid_id)
            if grid is None or not await self._sees(principal, grid.community_id):
                raise Forbidden("you are not staff of this grid's community")
        elif filters.community_id is not None:
            await self._community_for_listing(principal, filters.community_id)
        elif not principal.is_admin:
            raise Forbidden("name a community_id or grid_id whose community you serve")
        return await self.grids.list_households(filters, limit=page.limit, cursor=page.cursor)

    # --- helpers -------------------------------------------------------------------------

    async def _sees(self, principal: Principal, community_id: str) -> bool:
        if principal.is_admin:
            return True
        if not principal.has_role(*STAFF_ROLES):
            return False
        community = await self.orgs.get(community_id)
        return community is not None and is_community_staff(principal, community)

    async def _visible_paths(self, principal: Principal) -> list[str] | None:
        """Subtree paths the principal serves (``None``: everything, for administrators)."""
        if principal.is_admin:
            return None
        if not principal.has_role(*STAFF_ROLES) or not principal.orgs:
            raise Forbidden("only community staff see grids and households")
        orgs = await self.orgs.get_many(sorted(principal.orgs))
        return [o.path for o in orgs] or ["/nothing/"]

    async def _community_for_listing(self, principal: Principal, community_id: str) -> None:
        community = await self.orgs.get(community_id)
        if community is None or not is_community_staff(principal, community):
            raise Forbidden("you are not staff of this community")

    async def _community_for_write(self, principal: Principal, community_id: str) -> Organization:
        community = await self.orgs.get(community_id)
        if community is None or community.status != OrgStatus.ACTIVE.value:
            raise Unprocessable(
                "the community does not exist or has been dissolved",
                errors=[FieldError(field="community_id", message="unknown organization")],
            )
        if not is_community_staff(principal, community):
            raise Forbidden("you are not staff of this community")
        if OrgKind(community.kind) not in GRID_COMMUNITY_KINDS:
            raise Unprocessable(
                f"a {ORG_KIND_LABELS[OrgKind(community.kind)]} has no grids; "
                "grids belong to community or village organizations",
                errors=[FieldError(field="community_id", message="not a community or village")],
            )
        return community

    async def _grid_for_write(self, principal: Principal, grid_id: str) -> Grid:
        grid = await self.grids.get(grid_id)
        if grid is None or not await self._sees(principal, grid.community_id):
            raise Unprocessable(
                "the grid does not exist or is not in a community you serve",
                errors=[FieldError(field="grid_id", message="unknown grid")],
            )
        return grid

    async def _check_code_free(
        self, community_id: str, code: str, *, exclude_id: str | None
    ) -> None:
        if await self.grids.code_taken(community_id, code, exclude_id=exclude_id):
            raise Conflict(f"the community already has a grid with code {code}")

    async def _check_user_free(self, user_id: str, *, exclude_id: str | None) -> None:
        existing = await self.grids.household_of_user(user_id)
        if existing is not None and existing.id != exclude_id:
            raise Conflict("this user account is already linked to another household")
