"""``/api/registry/search``: organizations, units and alliances by Chinese name or pinyin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.repositories.search import SearchRepository
from zhdj_registry.routers.deps import Reader
from zhdj_registry.schemas.search import SearchResults, SearchType
from zhdj_registry.services.search import SearchService
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import FieldError, Unprocessable, problem_responses
from zhdj_shared.pagination import PageParams, page_params

router = APIRouter(prefix="/api/registry/search", tags=["search"])


async def search_service(session: SessionDep) -> SearchService:
    return SearchService(SearchRepository(session), OrganizationRepository(session))


def parse_types(raw: str) -> list[SearchType]:
    try:
        return [SearchType(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError:
        allowed = ", ".join(t.value for t in SearchType)
        raise Unprocessable(
            f"types is a comma-separated list of {allowed}",
            errors=[FieldError(field="types", message="unknown type")],
        ) from None


@router.get(
    "",
    summary="Find organizations, units and alliances by name, full pinyin or pinyin initials",
    description="`q` is Chinese text (matched anywhere in the name) or Latin letters (matched as "
    "the start of the full pinyin or of the initials: `hnd` and `hongniudai` find 红纽带). "
    "Ranked: exact name, name prefix, initials prefix, full-pinyin prefix, substring. Common "
    "polyphonic characters also match their other reading (`cyjd` finds 朝阳街道). Dissolved "
    "organizations and alliances and deactivated units are left out.",
    responses=problem_responses(404),
)
async def search(
    _principal: Reader,
    service: Annotated[SearchService, Depends(search_service)],
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str, Query(min_length=1, max_length=64)],
    types: Annotated[
        str, Query(max_length=64, description="Comma-separated: organization,unit,alliance")
    ] = "organization,unit,alliance",
    within: Annotated[
        str | None,
        Query(max_length=64, description="Only inside this organization's subtree"),
    ] = None,
) -> SearchResults:
    kinds = parse_types(types) or list(SearchType)
    if not q.strip():
        raise Unprocessable(errors=[FieldError(field="q", message="empty query")])
    items, next_cursor = await service.search(q, kinds, within, page)
    return SearchResults(items=items, next_cursor=next_cursor)
