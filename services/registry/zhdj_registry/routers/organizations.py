"""``/api/registry/organizations``: the organization tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from zhdj_registry.models import Organization
from zhdj_registry.repositories.organizations import OrganizationFilters
from zhdj_registry.routers.deps import Organizations, Reader, Writer
from zhdj_registry.schemas.organizations import (
    Ancestry,
    MoveRead,
    MovesPage,
    OrganizationCreate,
    OrganizationDissolve,
    OrganizationMove,
    OrganizationNode,
    OrganizationRead,
    OrganizationUpdate,
)
from zhdj_registry.vocabulary import ORG_KIND_LABELS, OrgKind, OrgStatus, Sector
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page, PageParams, page_params

PREFIX = "/api/registry/organizations"
router = APIRouter(prefix=PREFIX, tags=["organizations"])

OrgIdPath = Annotated[str, Path(min_length=1, max_length=64)]
MOVES_PAGE_DEFAULT, MOVES_PAGE_MAX = 100, 500


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an organization under a parent the caller acts for",
    responses=problem_responses(404, 409),
)
async def create_organization(
    body: OrganizationCreate, principal: Writer, service: Organizations, response: Response
) -> OrganizationRead:
    org = await service.create(principal, body)
    response.headers["Location"] = f"{PREFIX}/{org.id}"
    return OrganizationRead.of(org)


@router.get(
    "",
    summary="List organizations (filters; whole subtrees with `within`)",
    responses=problem_responses(404),
)
async def list_organizations(
    _principal: Reader,
    service: Organizations,
    page: Annotated[PageParams, Depends(page_params)],
    parent_id: Annotated[str | None, Query(max_length=64, description="Direct children")] = None,
    within: Annotated[
        str | None, Query(max_length=64, description="This organization and all below it")
    ] = None,
    kind: OrgKind | None = None,
    sector: Sector | None = None,
    area_code: Annotated[str | None, Query(max_length=32)] = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Chinese text, pinyin or initials"),
    ] = None,
    include_dissolved: bool = False,
) -> Page[OrganizationRead]:
    filters = OrganizationFilters(
        parent_id=parent_id,
        within=within,
        kind=kind.value if kind else None,
        sector=sector.value if sector else None,
        area_code=area_code,
        name=name,
        include_dissolved=include_dissolved,
    )
    items, next_cursor = await service.list_page(filters, page)
    return Page(items=[OrganizationRead.of(o) for o in items], next_cursor=next_cursor)


# A fixed path: declared before the ``/{org_id}`` routes, which would take "moves" for an id.
@router.get(
    "/moves",
    summary="The moves log after `after` (platform services and administrators only)",
    responses=problem_responses(403),
)
async def list_moves(
    principal: Reader,
    service: Organizations,
    after: Annotated[int, Query(ge=0, description="The last `seq` already seen (0: all)")] = 0,
    limit: Annotated[int, Query(ge=1, le=MOVES_PAGE_MAX)] = MOVES_PAGE_DEFAULT,
) -> MovesPage:
    entries = await service.moves_after(principal, after, limit + 1)
    page = entries[:limit]
    return MovesPage(
        items=[MoveRead.of(e) for e in page],
        next=page[-1].seq if page else after,
        more=len(entries) > limit,
    )


@router.get("/{org_id}", summary="One organization", responses=problem_responses(404))
async def get_organization(
    org_id: OrgIdPath, _principal: Reader, service: Organizations
) -> OrganizationRead:
    return OrganizationRead.of(await service.get(org_id))


@router.get(
    "/{org_id}/ancestry",
    summary="The path from the root to this organization",
    responses=problem_responses(404),
)
async def get_ancestry(org_id: OrgIdPath, _principal: Reader, service: Organizations) -> Ancestry:
    path = await service.ancestry(org_id)
    return Ancestry(id=org_id, ancestor_ids=[o.id for o in path], items=[_node(o) for o in path])


@router.get(
    "/{org_id}/tree",
    summary="The active subtree as nested nodes, down to `depth` levels",
    responses=problem_responses(404),
)
async def get_tree(
    org_id: OrgIdPath,
    _principal: Reader,
    service: Organizations,
    depth: Annotated[int, Query(ge=0, le=10)] = 2,
) -> OrganizationNode:
    root, orgs = await service.subtree(org_id, depth)
    nodes = {o.id: _node(o) for o in orgs}
    for org in orgs:
        if org.id != root.id and org.parent_id in nodes:
            nodes[org.parent_id].children.append(nodes[org.id])
    return nodes.get(root.id) or _node(root)


@router.patch(
    "/{org_id}", summary="Change an organization's details", responses=problem_responses(404, 409)
)
async def update_organization(
    org_id: OrgIdPath, body: OrganizationUpdate, principal: Writer, service: Organizations
) -> OrganizationRead:
    return OrganizationRead.of(await service.update(principal, org_id, body))


@router.post(
    "/{org_id}/move",
    summary="Move an organization (and its subtree) under another parent",
    responses=problem_responses(404, 409),
)
async def move_organization(
    org_id: OrgIdPath, body: OrganizationMove, principal: Writer, service: Organizations
) -> OrganizationRead:
    return OrganizationRead.of(await service.move(principal, org_id, body))


@router.post(
    "/{org_id}/dissolve",
    summary="Dissolve an organization that has no active sub-organizations",
    responses=problem_responses(404, 409),
)
async def dissolve_organization(
    org_id: OrgIdPath, body: OrganizationDissolve, principal: Writer, service: Organizations
) -> OrganizationRead:
    return OrganizationRead.of(await service.dissolve(principal, org_id, body))


def _node(org: Organization) -> OrganizationNode:
    kind = OrgKind(org.kind)
    return OrganizationNode(
        id=org.id,
        name=org.name,
        kind=kind,
        kind_label=ORG_KIND_LABELS[kind],
        sector=Sector(org.sector),
        status=OrgStatus(org.status),
    )
