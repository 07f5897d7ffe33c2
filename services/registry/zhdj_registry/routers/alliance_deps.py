"""Dependencies of the alliance, venue and volunteer-team routers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query

from zhdj_registry.repositories.alliance_support import AllianceSupportRepository
from zhdj_registry.repositories.alliances import AllianceRepository
from zhdj_registry.repositories.venues import VenueRepository
from zhdj_registry.repositories.volunteer_teams import VolunteerTeamRepository
from zhdj_registry.services.alliance_governance import GovernanceService
from zhdj_registry.services.alliance_support import AllianceSupportService
from zhdj_registry.services.alliances import AllianceService
from zhdj_registry.services.members_check import MemberCheck
from zhdj_registry.services.venues import VenueService
from zhdj_registry.services.volunteer_teams import VolunteerTeamService
from zhdj_shared.db import SessionDep
from zhdj_shared.pagination import PageParams, page_params


async def alliance_service(session: SessionDep) -> AllianceService:
    return AllianceService(AllianceRepository(session))


async def governance_service(session: SessionDep) -> GovernanceService:
    return GovernanceService(AllianceService(AllianceRepository(session)), MemberCheck(session))


async def support_service(session: SessionDep) -> AllianceSupportService:
    return AllianceSupportService(
        AllianceService(AllianceRepository(session)),
        AllianceSupportRepository(session),
        MemberCheck(session),
    )


async def venue_service(session: SessionDep) -> VenueService:
    return VenueService(VenueRepository(session), AllianceService(AllianceRepository(session)))


async def volunteer_team_service(session: SessionDep) -> VolunteerTeamService:
    return VolunteerTeamService(
        VolunteerTeamRepository(session),
        AllianceService(AllianceRepository(session)),
        MemberCheck(session),
    )


Alliances = Annotated[AllianceService, Depends(alliance_service)]
Governance = Annotated[GovernanceService, Depends(governance_service)]
Support = Annotated[AllianceSupportService, Depends(support_service)]
Venues = Annotated[VenueService, Depends(venue_service)]
VolunteerTeams = Annotated[VolunteerTeamService, Depends(volunteer_team_service)]
Paging = Annotated[PageParams, Depends(page_params)]

Id = Annotated[str, Path(min_length=1, max_length=64)]
OnDate = Annotated[date | None, Query(description="A date (YYYY-MM-DD); today when omitted")]
