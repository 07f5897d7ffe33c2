"""``/api/registry/lookups``: batch reads for the other services (many alliances or
organizations in one call; docs/decisions/0008-batch-reads.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from zhdj_registry.repositories.alliances import AllianceRepository
from zhdj_registry.repositories.members import MemberRepository
from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.routers.deps import Reader
from zhdj_registry.schemas.lookups import (
    AllianceLookupRequest,
    AllianceLookups,
    OrganizationLookupRequest,
    OrganizationLookups,
)
from zhdj_registry.schemas.organizations import OrganizationRead
from zhdj_registry.services.alliance_access import today
from zhdj_registry.services.alliances import AllianceService
from zhdj_registry.services.lookups import LookupService
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import problem_responses

router = APIRouter(prefix="/api/registry/lookups", tags=["lookups"])


async def lookup_service(session: SessionDep) -> LookupService:
    return LookupService(
        AllianceService(AllianceRepository(session)),
        MemberRepository(session),
        OrganizationRepository(session),
    )


Lookups = Annotated[LookupService, Depends(lookup_service)]


@router.post(
    "/alliances",
    summary="Many alliances at once: each with its lead's ancestry and its member "
    "organizations and their secretaries on a date (unknown ids in `missing`)",
    responses=problem_responses(403, 422),
)
async def lookup_alliances(
    body: AllianceLookupRequest, _principal: Reader, service: Lookups
) -> AllianceLookups:
    on = body.on or today()
    items, missing = await service.alliances_on(body.ids, on)
    return AllianceLookups(on=on, items=items, missing=missing)


@router.post(
    "/organizations",
    summary="Many organizations at once, as GET /organizations/{id} (unknown ids in `missing`)",
    responses=problem_responses(403, 422),
)
async def lookup_organizations(
    body: OrganizationLookupRequest, _principal: Reader, service: Lookups
) -> OrganizationLookups:
    found, missing = await service.organizations_by_id(body.ids)
    return OrganizationLookups(items=[OrganizationRead.of(o) for o in found], missing=missing)
