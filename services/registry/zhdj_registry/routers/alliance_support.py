"""``/api/registry/alliances/{id}/...``: funds, staff, supply-demand, projects, agreements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhdj_registry.repositories.alliance_support import ItemFilters
from zhdj_registry.routers.alliance_deps import Id, OnDate, Paging, Support
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.alliance_support import (
    AgreementCreate,
    AgreementRead,
    FundEntryCreate,
    FundEntryRead,
    FundSummary,
    ItemCreate,
    ItemRead,
    MatchCreate,
    MatchRead,
    ProgressCreate,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    StaffCreate,
    StaffEnd,
    StaffRead,
)
from zhdj_registry.services.alliance_access import today
from zhdj_registry.services.alliance_support import AllianceSupportService
from zhdj_registry.vocabulary import (
    AgreementKind,
    ProjectStatus,
    SupplyDemandCategory,
    SupplyDemandKind,
    SupplyDemandStatus,
)
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

PREFIX = "/api/registry/alliances"
router = APIRouter(prefix=PREFIX, tags=["alliance support and lists"])


# --- funds ----------------------------------------------------------------------------------


@router.post(
    "/{alliance_id}/funds",
    status_code=status.HTTP_201_CREATED,
    summary="Record an income (by source) or an expense, in integer fen",
    responses=problem_responses(403, 404, 409, 422),
)
async def record_fund_entry(
    alliance_id: Id, body: FundEntryCreate, principal: Writer, service: Support, response: Response
) -> FundEntryRead:
    entry, balance = await service.record_entry(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/funds/{entry.id}"
    return FundEntryRead.of(entry, balance)


@router.get(
    "/{alliance_id}/funds",
    summary="The ledger in date order with the running balance (managers, member staff)",
    responses=problem_responses(403, 404),
)
async def fund_ledger(
    alliance_id: Id, principal: Reader, service: Support, page: Paging
) -> Page[FundEntryRead]:
    rows, next_cursor = await service.ledger(principal, alliance_id, page)
    return Page(items=[FundEntryRead.of(e, b) for e, b in rows], next_cursor=next_cursor)


@router.get(
    "/{alliance_id}/funds/summary",
    summary="Totals by source, income, expense and balance (managers, member staff)",
    responses=problem_responses(403, 404),
)
async def fund_summary(alliance_id: Id, principal: Reader, service: Support) -> FundSummary:
    return await service.summary(principal, alliance_id)


# --- full-time staff --------------------------------------------------------------------------


@router.get(
    "/{alliance_id}/staff",
    summary="Full-time party-affairs staff on a date, or all (managers, member staff)",
    responses=problem_responses(403, 404),
)
async def list_staff(
    alliance_id: Id,
    principal: Reader,
    service: Support,
    on: OnDate = None,
    history: Annotated[bool, Query(description="Every engagement")] = False,
) -> list[StaffRead]:
    rows = await service.staff(principal, alliance_id, None if history else on or today())
    return [StaffRead.of(r) for r in rows]


@router.post(
    "/{alliance_id}/staff",
    status_code=status.HTTP_201_CREATED,
    summary="Engage a full-time party-affairs worker (hired or cross-appointed)",
    responses=problem_responses(403, 404, 409, 422),
)
async def add_staff(
    alliance_id: Id, body: StaffCreate, principal: Writer, service: Support, response: Response
) -> StaffRead:
    row = await service.add_staff(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/staff/{row.id}"
    return StaffRead.of(row)


@router.post(
    "/{alliance_id}/staff/{staff_id}/end",
    summary="End an engagement",
    responses=problem_responses(403, 404, 409, 422),
)
async def end_staff(
    alliance_id: Id, staff_id: Id, body: StaffEnd, principal: Writer, service: Support
) -> StaffRead:
    return StaffRead.of(await service.end_staff(principal, alliance_id, staff_id, body))


# --- supply-demand lists (供需清单) -----------------------------------------------------------


async def _item_read(service: AllianceSupportService, item_id: str, alliance_id: str) -> ItemRead:
    item = await service.item(alliance_id, item_id)
    refs = await service.org_refs([item.org_id])
    return ItemRead.of(item, refs[item.org_id])


@router.get(
    "/{alliance_id}/supply-demand",
    summary="Supply and demand items (filters: kind, status, organization, category)",
    responses=problem_responses(404),
)
async def list_items(
    alliance_id: Id,
    _principal: Reader,
    service: Support,
    page: Paging,
    kind: SupplyDemandKind | None = None,
    status_: Annotated[SupplyDemandStatus | None, Query(alias="status")] = None,
    org_id: Annotated[str | None, Query(max_length=64)] = None,
    category: SupplyDemandCategory | None = None,
) -> Page[ItemRead]:
    filters = ItemFilters(
        kind=kind.value if kind else None,
        status=status_.value if status_ else None,
        org_id=org_id,
        category=category.value if category else None,
    )
    rows, next_cursor = await service.items(alliance_id, filters, page)
    refs = await service.refs_for(rows, "org_id")
    return Page(items=[ItemRead.of(r, refs[r.org_id]) for r in rows], next_cursor=next_cursor)


@router.post(
    "/{alliance_id}/supply-demand",
    status_code=status.HTTP_201_CREATED,
    summary="Publish a supply or a demand of a member organization",
    responses=problem_responses(403, 404, 409, 422),
)
async def add_item(
    alliance_id: Id, body: ItemCreate, principal: Writer, service: Support, response: Response
) -> ItemRead:
    item = await service.add_item(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/supply-demand/{item.id}"
    return await _item_read(service, item.id, alliance_id)


@router.get(
    "/{alliance_id}/supply-demand/{item_id}",
    summary="One supply or demand item",
    responses=problem_responses(404),
)
async def get_item(alliance_id: Id, item_id: Id, _principal: Reader, service: Support) -> ItemRead:
    return await _item_read(service, item_id, alliance_id)


@router.post(
    "/{alliance_id}/supply-demand/{item_id}/fulfil",
    summary="Mark an item fulfilled (a matched pair together)",
    responses=problem_responses(403, 404, 409),
)
async def fulfil_item(
    alliance_id: Id, item_id: Id, principal: Writer, service: Support
) -> ItemRead:
    item = await service.fulfil(principal, alliance_id, item_id)
    return await _item_read(service, item.id, alliance_id)


@router.post(
    "/{alliance_id}/supply-demand/{item_id}/withdraw",
    summary="Withdraw an open item",
    responses=problem_responses(403, 404, 409),
)
async def withdraw_item(
    alliance_id: Id, item_id: Id, principal: Writer, service: Support
) -> ItemRead:
    item = await service.withdraw(principal, alliance_id, item_id)
    return await _item_read(service, item.id, alliance_id)


@router.get(
    "/{alliance_id}/supply-demand-matches",
    summary="Matches of a supply to a demand",
    responses=problem_responses(404),
)
async def list_matches(
    alliance_id: Id, _principal: Reader, service: Support, page: Paging
) -> Page[MatchRead]:
    rows, next_cursor = await service.matches(alliance_id, page)
    return Page(items=[MatchRead.of(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/{alliance_id}/supply-demand-matches",
    status_code=status.HTTP_201_CREATED,
    summary="Match an open supply to an open demand of the same alliance",
    responses=problem_responses(403, 404, 409, 422),
)
async def match_items(
    alliance_id: Id, body: MatchCreate, principal: Writer, service: Support, response: Response
) -> MatchRead:
    match = await service.match(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/supply-demand-matches/{match.id}"
    return MatchRead.of(match)


# --- project list (项目清单) -------------------------------------------------------------------


@router.get("/{alliance_id}/projects", summary="The project list", responses=problem_responses(404))
async def list_projects(
    alliance_id: Id,
    _principal: Reader,
    service: Support,
    page: Paging,
    status_: Annotated[ProjectStatus | None, Query(alias="status")] = None,
) -> Page[ProjectRead]:
    rows, next_cursor = await service.projects(
        alliance_id, status_.value if status_ else None, page
    )
    refs = await service.refs_for(rows, "lead_org_id")
    return Page(
        items=[ProjectRead.of(r, refs[r.lead_org_id]) for r in rows], next_cursor=next_cursor
    )


async def _project_read(
    service: AllianceSupportService, alliance_id: str, project_id: str
) -> ProjectRead:
    row = await service.project(alliance_id, project_id)
    refs = await service.org_refs([row.lead_org_id])
    return ProjectRead.of(row, refs[row.lead_org_id])


@router.post(
    "/{alliance_id}/projects",
    status_code=status.HTTP_201_CREATED,
    summary="Add a project led by a member organization",
    responses=problem_responses(403, 404, 409, 422),
)
async def add_project(
    alliance_id: Id, body: ProjectCreate, principal: Writer, service: Support, response: Response
) -> ProjectRead:
    row = await service.add_project(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/projects/{row.id}"
    return await _project_read(service, alliance_id, row.id)


@router.get(
    "/{alliance_id}/projects/{project_id}",
    summary="One project",
    responses=problem_responses(404),
)
async def get_project(
    alliance_id: Id, project_id: Id, _principal: Reader, service: Support
) -> ProjectRead:
    return await _project_read(service, alliance_id, project_id)


@router.patch(
    "/{alliance_id}/projects/{project_id}",
    summary="Change a project (managers, or the lead organization's staff)",
    responses=problem_responses(403, 404, 409, 422),
)
async def update_project(
    alliance_id: Id, project_id: Id, body: ProjectUpdate, principal: Writer, service: Support
) -> ProjectRead:
    await service.update_project(principal, alliance_id, project_id, body)
    return await _project_read(service, alliance_id, project_id)


@router.post(
    "/{alliance_id}/projects/{project_id}/progress",
    summary="Add a progress note",
    responses=problem_responses(403, 404, 409),
)
async def add_progress(
    alliance_id: Id, project_id: Id, body: ProgressCreate, principal: Writer, service: Support
) -> ProjectRead:
    await service.add_progress(principal, alliance_id, project_id, body)
    return await _project_read(service, alliance_id, project_id)


# --- agreements and pledges (共建协议, 承诺书) --------------------------------------------------


@router.get(
    "/{alliance_id}/agreements",
    summary="Co-building agreements and pledges",
    responses=problem_responses(404),
)
async def list_agreements(
    alliance_id: Id,
    _principal: Reader,
    service: Support,
    page: Paging,
    kind: AgreementKind | None = None,
) -> Page[AgreementRead]:
    rows, next_cursor = await service.agreements(alliance_id, kind.value if kind else None, page)
    refs = await service.refs_for(rows, "party_org_ids")
    return Page(
        items=[AgreementRead.of(r, [refs[i] for i in r.party_org_ids]) for r in rows],
        next_cursor=next_cursor,
    )


@router.post(
    "/{alliance_id}/agreements",
    status_code=status.HTTP_201_CREATED,
    summary="Record an agreement (managers) or a member organization's pledge",
    responses=problem_responses(403, 404, 409, 422),
)
async def add_agreement(
    alliance_id: Id, body: AgreementCreate, principal: Writer, service: Support, response: Response
) -> AgreementRead:
    row = await service.add_agreement(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/agreements/{row.id}"
    refs = await service.org_refs(row.party_org_ids)
    return AgreementRead.of(row, [refs[i] for i in row.party_org_ids])
