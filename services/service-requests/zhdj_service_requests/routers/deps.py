"""Dependencies shared by the service's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security

from zhdj_service_requests.repositories.catalog import CatalogRepository
from zhdj_service_requests.services.requests import Policy, RequestService
from zhdj_shared.db import SessionDep
from zhdj_shared.pagination import PageParams, page_params
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.authz import Principal, current_principal
from zhdj_shared.security.scopes import Scope

Reader = Annotated[Principal, Security(current_principal, scopes=[Scope.REQUESTS_READ])]
Writer = Annotated[Principal, Security(current_principal, scopes=[Scope.REQUESTS_WRITE])]
Paging = Annotated[PageParams, Depends(page_params)]


# The dependencies below are ``async``: FastAPI runs a plain ``def`` dependency in a worker
# thread, a hand-off that cost more than the work itself on every submission.


async def request_service(request: Request, session: SessionDep) -> RequestService:
    settings = request.app.state.settings
    registry: RegistryClient = request.app.state.registry
    policy = Policy(
        reopen_window_days=settings.reopen_window_days,
        duplicate_window_days=settings.duplicate_window_days,
        duplicate_radius_m=settings.duplicate_radius_m,
    )
    return RequestService(session, registry, policy)


async def catalog_repository(session: SessionDep) -> CatalogRepository:
    return CatalogRepository(session)


Requests = Annotated[RequestService, Depends(request_service)]
Catalog = Annotated[CatalogRepository, Depends(catalog_repository)]
