"""``/api/registry/alliances``: alliances (党建联合体), members, chains, leadership, conveners."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhdj_registry.models import Alliance
from zhdj_registry.repositories.alliances import AllianceFilters
from zhdj_registry.routers.alliance_deps import Alliances, Governance, Id, OnDate, Paging
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.alliances import (
    AllianceCreate,
    AllianceRead,
    AllianceStatusUpdate,
    AllianceUpdate,
    AppointmentCreate,
    AppointmentEnd,
    AppointmentRead,
    ChainCreate,
    ChainMemberAdd,
    ChainRead,
    ConvenerCreate,
    ConvenerOn,
    ConvenerRead,
    DesignationCreate,
    DesignationRead,
    LeadHandover,
    MemberAdd,
    MemberLeave,
    MemberRead,
    StatusChangeRead,
)
from zhdj_registry.services.alliance_access import today
from zhdj_registry.services.alliances import AllianceService
from zhdj_registry.vocabulary import AlliancePattern, AllianceStatus
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

PREFIX = "/api/registry/alliances"
router = APIRouter(prefix=PREFIX, tags=["alliances"])
sites_router = APIRouter(prefix="/api/registry/demonstration-sites", tags=["alliances"])

History = Annotated[bool, Query(description="Every dated row instead of those in force on `on`")]


async def _read(service: AllianceService, alliance: Alliance) -> AllianceRead:
    facts = await service.facts([alliance])
    return AllianceRead.of(alliance, facts[alliance.id])


# --- alliances ----------------------------------------------------------------------------------


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an alliance led by an organization the caller acts for",
    responses=problem_responses(403, 409, 422),
)
async def create_alliance(
    body: AllianceCreate, principal: Writer, service: Alliances, response: Response
) -> AllianceRead:
    alliance = await service.create(principal, body)
    response.headers["Location"] = f"{PREFIX}/{alliance.id}"
    return await _read(service, alliance)


@router.get(
    "",
    summary="List alliances (pattern, status, lead subtree, member, year, name)",
    responses=problem_responses(404),
)
async def list_alliances(
    _principal: Reader,
    service: Alliances,
    page: Paging,
    pattern: AlliancePattern | None = None,
    status_: Annotated[AllianceStatus | None, Query(alias="status")] = None,
    within: Annotated[
        str | None, Query(max_length=64, description="Lead organization in this subtree")
    ] = None,
    member_org: Annotated[
        str | None, Query(max_length=64, description="Has this organization as a current member")
    ] = None,
    demonstration_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Chinese text, pinyin or initials"),
    ] = None,
) -> Page[AllianceRead]:
    filters = AllianceFilters(
        pattern=pattern.value if pattern else None,
        status=status_.value if status_ else None,
        member_org_id=member_org,
        demonstration_year=demonstration_year,
        name=name,
        on=today(),
    )
    items, next_cursor = await service.list_page(filters, within, page)
    facts = await service.facts(items)
    return Page(items=[AllianceRead.of(a, facts[a.id]) for a in items], next_cursor=next_cursor)


@router.get("/{alliance_id}", summary="One alliance", responses=problem_responses(404))
async def get_alliance(alliance_id: Id, _principal: Reader, service: Alliances) -> AllianceRead:
    return await _read(service, await service.get(alliance_id))


@router.patch(
    "/{alliance_id}",
    summary="Change an alliance's details (its managers)",
    responses=problem_responses(403, 404, 409),
)
async def update_alliance(
    alliance_id: Id, body: AllianceUpdate, principal: Writer, service: Alliances
) -> AllianceRead:
    return await _read(service, await service.update(principal, alliance_id, body))


@router.post(
    "/{alliance_id}/status",
    summary="Change the status: rectification (admin, assessment service) or dissolution",
    responses=problem_responses(403, 404, 409),
)
async def change_status(
    alliance_id: Id, body: AllianceStatusUpdate, principal: Writer, service: Alliances
) -> AllianceRead:
    return await _read(service, await service.change_status(principal, alliance_id, body))


@router.post(
    "/{alliance_id}/lead",
    summary="Hand the lead (牵头) to another current member organization (its managers)",
    responses=problem_responses(403, 404, 409, 422),
)
async def hand_over_lead(
    alliance_id: Id, body: LeadHandover, principal: Writer, service: Alliances
) -> AllianceRead:
    return await _read(service, await service.hand_over_lead(principal, alliance_id, body))


@router.get(
    "/{alliance_id}/status-history",
    summary="Every status change with its reason",
    responses=problem_responses(404),
)
async def status_history(
    alliance_id: Id, _principal: Reader, service: Alliances
) -> list[StatusChangeRead]:
    return [StatusChangeRead.of(r) for r in await service.status_history(alliance_id)]


# --- demonstration sites (精品示范点) -------------------------------------------------------------


@router.get(
    "/{alliance_id}/designations",
    summary="Years the alliance was designated a demonstration site",
    responses=problem_responses(404),
)
async def list_designations(
    alliance_id: Id, _principal: Reader, service: Alliances
) -> list[DesignationRead]:
    alliance = await service.get(alliance_id)
    rows = await service.repository.designations(alliance_id)
    return [DesignationRead.of(r, alliance) for r in rows]


@router.post(
    "/{alliance_id}/designations",
    status_code=status.HTTP_201_CREATED,
    summary="Designate the alliance a demonstration site for a year (admin, platform services)",
    responses=problem_responses(403, 404, 409),
)
async def designate(
    alliance_id: Id,
    body: DesignationCreate,
    principal: Writer,
    service: Alliances,
    response: Response,
) -> DesignationRead:
    row = await service.designate(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/designations"
    return DesignationRead.of(row, await service.get(alliance_id))


@router.delete(
    "/{alliance_id}/designations/{year}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a year's designation (admin, platform services)",
    responses=problem_responses(403, 404),
)
async def revoke_designation(
    alliance_id: Id, year: int, principal: Writer, service: Alliances
) -> None:
    await service.revoke_designation(principal, alliance_id, year)


@sites_router.get(
    "",
    summary="Demonstration sites (融合党建精品示范点), newest year first",
    responses=problem_responses(404),
)
async def demonstration_sites(
    _principal: Reader,
    service: Alliances,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    within: Annotated[
        str | None, Query(max_length=64, description="Lead organization in this subtree")
    ] = None,
) -> list[DesignationRead]:
    rows = await service.designations_by_year(year, within)
    return [DesignationRead.of(d, a) for d, a in rows]


# --- members ------------------------------------------------------------------------------------


@router.get(
    "/{alliance_id}/members",
    summary="Member organizations on a date (default today), or the whole history",
    responses=problem_responses(404),
)
async def list_members(
    alliance_id: Id,
    _principal: Reader,
    service: Alliances,
    page: Paging,
    on: OnDate = None,
    history: History = False,
) -> Page[MemberRead]:
    rows, next_cursor = await service.members_page(
        alliance_id, None if history else on or today(), page
    )
    return Page(items=[MemberRead.of(m, o) for m, o in rows], next_cursor=next_cursor)


@router.post(
    "/{alliance_id}/members",
    status_code=status.HTTP_201_CREATED,
    summary="An organization joins (409 when it is a member at that time already)",
    responses=problem_responses(403, 404, 409, 422),
)
async def add_member(
    alliance_id: Id, body: MemberAdd, principal: Writer, service: Alliances, response: Response
) -> MemberRead:
    row, org = await service.add_member(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/members/{row.id}"
    return MemberRead.of(row, org)


@router.post(
    "/{alliance_id}/members/{membership_id}/leave",
    summary="An organization leaves (a later rejoin is a new membership)",
    responses=problem_responses(403, 404, 409, 422),
)
async def leave(
    alliance_id: Id, membership_id: Id, body: MemberLeave, principal: Writer, service: Alliances
) -> MemberRead:
    row, org = await service.leave(principal, alliance_id, membership_id, body)
    return MemberRead.of(row, org)


# --- chains -------------------------------------------------------------------------------------


@router.get(
    "/{alliance_id}/chains", summary="Chains and their members", responses=problem_responses(404)
)
async def list_chains(alliance_id: Id, _principal: Reader, service: Alliances) -> list[ChainRead]:
    return [ChainRead.of(c, lead, orgs) for c, lead, orgs in await service.chains(alliance_id)]


async def _chain(service: AllianceService, alliance_id: str, chain_id: str) -> ChainRead:
    for chain, lead, orgs in await service.chains(alliance_id):
        if chain.id == chain_id:
            return ChainRead.of(chain, lead, orgs)
    raise AssertionError("the chain was just written")


@router.post(
    "/{alliance_id}/chains",
    status_code=status.HTTP_201_CREATED,
    summary="Create a chain, optionally led by a general branch",
    responses=problem_responses(403, 404, 409, 422),
)
async def create_chain(
    alliance_id: Id, body: ChainCreate, principal: Writer, service: Alliances, response: Response
) -> ChainRead:
    chain = await service.create_chain(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/chains/{chain.id}"
    return await _chain(service, alliance_id, chain.id)


@router.post(
    "/{alliance_id}/chains/{chain_id}/members",
    summary="Put a current member organization into a chain",
    responses=problem_responses(403, 404, 409, 422),
)
async def add_chain_member(
    alliance_id: Id, chain_id: Id, body: ChainMemberAdd, principal: Writer, service: Alliances
) -> ChainRead:
    await service.add_chain_member(principal, alliance_id, chain_id, body.org_id)
    return await _chain(service, alliance_id, chain_id)


@router.delete(
    "/{alliance_id}/chains/{chain_id}/members/{org_id}",
    summary="Take an organization out of a chain",
    responses=problem_responses(403, 404),
)
async def remove_chain_member(
    alliance_id: Id, chain_id: Id, org_id: Id, principal: Writer, service: Alliances
) -> ChainRead:
    await service.remove_chain_member(principal, alliance_id, chain_id, org_id)
    return await _chain(service, alliance_id, chain_id)


# --- leadership team (班子, 交叉任职) -----------------------------------------------------------


@router.get(
    "/{alliance_id}/appointments",
    summary="The leadership team on a date (default today), or every appointment",
    responses=problem_responses(404),
)
async def list_appointments(
    alliance_id: Id,
    _principal: Reader,
    service: Alliances,
    governance: Governance,
    on: OnDate = None,
    history: History = False,
) -> list[AppointmentRead]:
    alliance = await service.get(alliance_id)
    rows = await governance.appointments(alliance_id, None if history else on or today())
    return [AppointmentRead.of(r, home, alliance.lead_org_id) for r, home in rows]


@router.post(
    "/{alliance_id}/appointments",
    status_code=status.HTTP_201_CREATED,
    summary="Appoint a person to a role on behalf of their home organization",
    responses=problem_responses(403, 404, 409, 422),
)
async def appoint(
    alliance_id: Id,
    body: AppointmentCreate,
    principal: Writer,
    governance: Governance,
    response: Response,
) -> AppointmentRead:
    row, home = await governance.appoint(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/appointments/{row.id}"
    alliance = await governance.alliances.get(alliance_id)
    return AppointmentRead.of(row, home, alliance.lead_org_id)


@router.post(
    "/{alliance_id}/appointments/{appointment_id}/end",
    summary="End an appointment",
    responses=problem_responses(403, 404, 409, 422),
)
async def end_appointment(
    alliance_id: Id,
    appointment_id: Id,
    body: AppointmentEnd,
    principal: Writer,
    governance: Governance,
) -> AppointmentRead:
    row, home = await governance.end_appointment(principal, alliance_id, appointment_id, body)
    alliance = await governance.alliances.get(alliance_id)
    return AppointmentRead.of(row, home, alliance.lead_org_id)


# --- rotating conveners (轮值召集人) ------------------------------------------------------------


@router.get(
    "/{alliance_id}/conveners",
    summary="The convener schedule (periods intersecting `from`..`to` when given)",
    responses=problem_responses(404),
)
async def list_conveners(
    alliance_id: Id,
    _principal: Reader,
    governance: Governance,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> list[ConvenerRead]:
    rows = await governance.schedule(alliance_id, from_, to)
    return [ConvenerRead.of(r, org) for r, org in rows]


@router.get(
    "/{alliance_id}/convener",
    summary="Who convenes on a date (default today); `period` is null when nobody does",
    responses=problem_responses(404),
)
async def convener_on(
    alliance_id: Id, _principal: Reader, governance: Governance, on: OnDate = None
) -> ConvenerOn:
    day = on or today()
    found = await governance.convener_on(alliance_id, day)
    period = ConvenerRead.of(*found) if found else None
    return ConvenerOn(alliance_id=alliance_id, on=day, period=period)


@router.post(
    "/{alliance_id}/conveners",
    status_code=status.HTTP_201_CREATED,
    summary="Schedule a convener period (no overlap with another: 409)",
    responses=problem_responses(403, 404, 409, 422),
)
async def add_convener_period(
    alliance_id: Id,
    body: ConvenerCreate,
    principal: Writer,
    governance: Governance,
    response: Response,
) -> ConvenerRead:
    row, org = await governance.add_period(principal, alliance_id, body)
    response.headers["Location"] = f"{PREFIX}/{alliance_id}/conveners/{row.id}"
    return ConvenerRead.of(row, org)


@router.delete(
    "/{alliance_id}/conveners/{period_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a convener period",
    responses=problem_responses(403, 404),
)
async def remove_convener_period(
    alliance_id: Id, period_id: Id, principal: Writer, governance: Governance
) -> None:
    await governance.remove_period(principal, alliance_id, period_id)
