"""Dependencies shared by the assessment service's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Security

from zhdj_assessment.repositories.cycles import CycleRepository
from zhdj_assessment.repositories.systems import SystemRepository
from zhdj_assessment.services.cycles import CycleService
from zhdj_assessment.services.systems import SystemService
from zhdj_assessment.settings import AssessmentSettings
from zhdj_assessment.sources import Sources
from zhdj_shared.db import SessionDep
from zhdj_shared.pagination import PageParams, page_params
from zhdj_shared.security.authz import Principal, current_principal
from zhdj_shared.security.scopes import Scope

Reader = Annotated[Principal, Security(current_principal, scopes=[Scope.ASSESSMENT_READ])]
Writer = Annotated[Principal, Security(current_principal, scopes=[Scope.ASSESSMENT_WRITE])]
Id = Annotated[str, Path(min_length=1, max_length=64)]
Paging = Annotated[PageParams, Depends(page_params)]


async def sources_of(request: Request) -> Sources:
    sources: Sources = request.app.state.sources
    return sources


async def system_service(session: SessionDep) -> SystemService:
    return SystemService(SystemRepository(session))


async def cycle_service(
    session: SessionDep, request: Request, sources: Annotated[Sources, Depends(sources_of)]
) -> CycleService:
    settings: AssessmentSettings = request.app.state.settings
    return CycleService(
        CycleRepository(session),
        SystemRepository(session),
        sources,
        concurrency=settings.fetch_concurrency,
    )


Systems = Annotated[SystemService, Depends(system_service)]
Cycles = Annotated[CycleService, Depends(cycle_service)]
