"""Dependencies shared by the registry's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security

from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.services.organizations import OrganizationService
from zhdj_shared.db import SessionDep
from zhdj_shared.security.authz import Principal, current_principal
from zhdj_shared.security.scopes import Scope

Reader = Annotated[Principal, Security(current_principal, scopes=[Scope.REGISTRY_READ])]
Writer = Annotated[Principal, Security(current_principal, scopes=[Scope.REGISTRY_WRITE])]
Volunteer = Annotated[Principal, Security(current_principal, scopes=[Scope.REGISTRY_VOLUNTEER])]


async def organization_service(session: SessionDep) -> OrganizationService:
    return OrganizationService(OrganizationRepository(session))


Organizations = Annotated[OrganizationService, Depends(organization_service)]
