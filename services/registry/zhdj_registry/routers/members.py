"""``/api/registry/members``: party members, their leaving and their transfers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from zhdj_registry.models import Member
from zhdj_registry.repositories.members import MemberFilters, MemberRepository
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.members import (
    MemberCreate,
    MemberLeave,
    MemberLeft,
    MemberRead,
    MemberUpdate,
    TransferCreate,
    TransferRead,
)
from zhdj_registry.services.members import MemberService, sees_unmasked
from zhdj_registry.vocabulary import MemberStatus
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page, PageParams, page_params
from zhdj_shared.security.authz import Principal

PREFIX = "/api/registry/members"
router = APIRouter(prefix=PREFIX, tags=["members"])

MemberIdPath = Annotated[str, Path(min_length=1, max_length=64)]


async def member_service(session: SessionDep) -> MemberService:
    return MemberService(MemberRepository(session))


Members = Annotated[MemberService, Depends(member_service)]
Paging = Annotated[PageParams, Depends(page_params)]


def _view(principal: Principal, member: Member) -> MemberRead:
    return MemberRead.of(member, masked=not sees_unmasked(principal, member))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a member in an organization the caller manages",
    responses=problem_responses(404, 409),
)
async def create_member(
    body: MemberCreate, principal: Writer, service: Members, response: Response
) -> MemberRead:
    member = await service.create(principal, body)
    response.headers["Location"] = f"{PREFIX}/{member.id}"
    return _view(principal, member)


@router.get(
    "",
    summary="List members the caller may see (personal data masked unless they manage them)",
    responses=problem_responses(404),
)
async def list_members(
    principal: Reader,
    service: Members,
    page: Paging,
    home_org_id: Annotated[str | None, Query(max_length=64)] = None,
    within: Annotated[
        str | None, Query(max_length=64, description="Members of this organization and below")
    ] = None,
    status: MemberStatus | None = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Chinese text, pinyin or initials"),
    ] = None,
    include_left: bool = False,
) -> Page[MemberRead]:
    filters = MemberFilters(
        home_org_id=home_org_id,
        status=status.value if status else None,
        name=name,
        include_left=include_left,
    )
    items, next_cursor = await service.list_page(principal, filters, within, page)
    return Page(items=[_view(principal, m) for m in items], next_cursor=next_cursor)


@router.get(
    "/me",
    summary="The caller's own member record (user tokens only)",
    responses=problem_responses(403, 404),
)
async def get_me(principal: Reader, service: Members) -> MemberRead:
    return _view(principal, await service.me(principal))


@router.get(
    "/by-user/{user_id}",
    summary="The member record linked to a gateway user (platform services, administrators)",
    responses=problem_responses(403, 404),
)
async def get_by_user(user_id: MemberIdPath, principal: Reader, service: Members) -> MemberRead:
    # Another service acting on a user's request (e.g. the activity service checking a member
    # in) needs the member behind the user's token; /me only answers the user themself.
    return _view(principal, await service.of_user(principal, user_id))


@router.get("/{member_id}", summary="One member", responses=problem_responses(404))
async def get_member(member_id: MemberIdPath, principal: Reader, service: Members) -> MemberRead:
    return _view(principal, await service.read(principal, member_id))


@router.patch(
    "/{member_id}",
    summary="Change a member's details (the home organization changes by a transfer)",
    responses=problem_responses(404, 409),
)
async def update_member(
    member_id: MemberIdPath, body: MemberUpdate, principal: Writer, service: Members
) -> MemberRead:
    return _view(principal, await service.update(principal, member_id, body))


@router.post(
    "/{member_id}/leave",
    summary="Record that the member left (出党, 去世...); what they held as a member ends",
    responses=problem_responses(404, 409),
)
async def leave(
    member_id: MemberIdPath, body: MemberLeave, principal: Writer, service: Members
) -> MemberLeft:
    done = await service.leave(principal, member_id, body)
    return MemberLeft(
        **_view(principal, done.member).model_dump(),
        ended_position_ids=done.ended_position_ids,
        ended_appointment_ids=done.ended_appointment_ids,
        ended_staff_ids=done.ended_staff_ids,
        released_claim_ids=done.released_claim_ids,
        led_team_ids=done.led_team_ids,
    )


@router.post(
    "/{member_id}/transfers",
    status_code=status.HTTP_201_CREATED,
    summary="Transfer the member's organization relation (组织关系转接)",
    responses=problem_responses(404, 409),
)
async def transfer(
    member_id: MemberIdPath,
    body: TransferCreate,
    principal: Writer,
    service: Members,
    response: Response,
) -> TransferRead:
    done = await service.transfer(principal, member_id, body)
    response.headers["Location"] = f"{PREFIX}/{member_id}/transfers/{done.id}"
    return TransferRead.of(done)


@router.get(
    "/{member_id}/transfers",
    summary="The member's transfers, oldest first",
    responses=problem_responses(404),
)
async def list_transfers(
    member_id: MemberIdPath, principal: Reader, service: Members, page: Paging
) -> Page[TransferRead]:
    items, next_cursor = await service.transfers(principal, member_id, page)
    return Page(items=[TransferRead.of(t) for t in items], next_cursor=next_cursor)


@router.get(
    "/{member_id}/transfers/{transfer_id}",
    summary="One transfer of the member",
    responses=problem_responses(404),
)
async def get_transfer(
    member_id: MemberIdPath,
    transfer_id: Annotated[str, Path(min_length=1, max_length=64)],
    principal: Reader,
    service: Members,
) -> TransferRead:
    return TransferRead.of(await service.transfer_of(principal, member_id, transfer_id))
