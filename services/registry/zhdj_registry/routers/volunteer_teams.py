"""``/api/registry/volunteer-teams``: volunteer teams, their posts and members' claims."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhdj_registry.models import VolunteerTeam
from zhdj_registry.repositories.volunteer_teams import TeamFilters
from zhdj_registry.routers.alliance_deps import Id, Paging, VolunteerTeams
from zhdj_registry.routers.deps import Reader, Volunteer, Writer
from zhdj_registry.schemas.volunteer_teams import (
    ClaimCreate,
    ClaimRead,
    ClaimRelease,
    PostCreate,
    PostRead,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)
from zhdj_registry.services.volunteer_teams import VolunteerTeamService
from zhdj_registry.vocabulary import VolunteerPostKind
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

PREFIX = "/api/registry/volunteer-teams"
router = APIRouter(prefix=PREFIX, tags=["volunteer teams"])


async def _reads(service: VolunteerTeamService, teams: list[VolunteerTeam]) -> list[TeamRead]:
    posts = await service.post_reads(teams)
    return [TeamRead.of(t, posts[t.id]) for t in teams]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a team of an organization or of an alliance",
    responses=problem_responses(403, 409, 422),
)
async def create_team(
    body: TeamCreate, principal: Writer, service: VolunteerTeams, response: Response
) -> TeamRead:
    team = await service.create(principal, body)
    response.headers["Location"] = f"{PREFIX}/{team.id}"
    return (await _reads(service, [team]))[0]


@router.get(
    "",
    summary="List teams; `post_kind` with `within` finds teams to route a service request to",
    responses=problem_responses(404),
)
async def list_teams(
    _principal: Reader,
    service: VolunteerTeams,
    page: Paging,
    post_kind: Annotated[
        VolunteerPostKind | None, Query(description="Has an active post of this kind")
    ] = None,
    within: Annotated[
        str | None, Query(max_length=64, description="Home organization in this subtree")
    ] = None,
    org_id: Annotated[str | None, Query(max_length=64)] = None,
    alliance_id: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    include_disbanded: bool = False,
) -> Page[TeamRead]:
    filters = TeamFilters(
        org_id=org_id,
        alliance_id=alliance_id,
        post_kind=post_kind.value if post_kind else None,
        name=name,
        include_disbanded=include_disbanded,
    )
    teams, next_cursor = await service.list_page(filters, within, page)
    return Page(items=await _reads(service, teams), next_cursor=next_cursor)


@router.get("/{team_id}", summary="One team with its posts", responses=problem_responses(404))
async def get_team(team_id: Id, _principal: Reader, service: VolunteerTeams) -> TeamRead:
    return (await _reads(service, [await service.get(team_id)]))[0]


@router.patch(
    "/{team_id}",
    summary="Change a team (its managers); `status: disbanded` disbands it",
    responses=problem_responses(403, 404, 422),
)
async def update_team(
    team_id: Id, body: TeamUpdate, principal: Writer, service: VolunteerTeams
) -> TeamRead:
    return (await _reads(service, [await service.update(principal, team_id, body)]))[0]


@router.post(
    "/{team_id}/posts",
    status_code=status.HTTP_201_CREATED,
    summary="Open a volunteer post (志愿服务岗) of one of the eleven kinds",
    responses=problem_responses(403, 404, 409),
)
async def add_post(
    team_id: Id, body: PostCreate, principal: Writer, service: VolunteerTeams, response: Response
) -> PostRead:
    post = await service.add_post(principal, team_id, body)
    response.headers["Location"] = f"{PREFIX}/{team_id}/posts/{post.id}"
    return await service.post_read(team_id, post.id)


@router.get("/{team_id}/posts/{post_id}", summary="One post", responses=problem_responses(404))
async def get_post(
    team_id: Id, post_id: Id, _principal: Reader, service: VolunteerTeams
) -> PostRead:
    return await service.post_read(team_id, post_id)


@router.get(
    "/{team_id}/posts/{post_id}/claims",
    summary="Claims of a post (active ones unless `history`)",
    responses=problem_responses(404),
)
async def list_claims(
    team_id: Id,
    post_id: Id,
    _principal: Reader,
    service: VolunteerTeams,
    history: bool = False,
) -> list[ClaimRead]:
    rows = await service.claims(team_id, post_id, active_only=not history)
    return [ClaimRead.of(c) for c in rows]


@router.post(
    "/{team_id}/posts/{post_id}/claims",
    status_code=status.HTTP_201_CREATED,
    summary="A member claims the post (认领); 409 when full or already held",
    responses=problem_responses(403, 404, 409, 422),
)
async def claim_post(
    team_id: Id,
    post_id: Id,
    body: ClaimCreate,
    principal: Volunteer,
    service: VolunteerTeams,
    response: Response,
) -> ClaimRead:
    claim = await service.claim(principal, team_id, post_id, body)
    response.headers["Location"] = f"{PREFIX}/{team_id}/posts/{post_id}/claims/{claim.id}"
    return ClaimRead.of(claim)


@router.post(
    "/{team_id}/posts/{post_id}/claims/{claim_id}/release",
    summary="Release a claim",
    responses=problem_responses(403, 404, 409),
)
async def release_claim(
    team_id: Id,
    post_id: Id,
    claim_id: Id,
    body: ClaimRelease,
    principal: Volunteer,
    service: VolunteerTeams,
) -> ClaimRead:
    return ClaimRead.of(await service.release(principal, team_id, post_id, claim_id, body))
