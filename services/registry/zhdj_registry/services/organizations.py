"""Rules of the organization tree.

Who may write: an organization's staff act on it and everything below it. Creating a child
needs acting for the parent; moving or dissolving needs acting for the current parent (a
superior's decision) and, for a move, for the new parent too. Roots (市委) are the platform
administrator's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from zhdj_registry.models import Organization, OrganizationMoveEntry
from zhdj_registry.repositories.organizations import OrganizationFilters, OrganizationRepository
from zhdj_registry.schemas.organizations import (
    OrganizationCreate,
    OrganizationDissolve,
    OrganizationMove,
    OrganizationUpdate,
)
from zhdj_registry.services.acting import require_manages
from zhdj_registry.vocabulary import (
    ALLOWED_PARENT_KINDS,
    ORG_KIND_LABELS,
    OrgKind,
    OrgStatus,
    Sector,
)
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.ids import new_id
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role
from zhdj_shared.text import pinyin_key

# A nested tree view beyond this many nodes must be paged through the list instead.
TREE_NODE_LIMIT = 2000


class OrganizationService:
    def __init__(self, repository: OrganizationRepository) -> None:
        self.repository = repository

    async def get(self, org_id: str) -> Organization:
        org = await self.repository.get(org_id)
        if org is None:
            raise NotFound(f"organization {org_id} does not exist")
        return org

    async def list_page(
        self, filters: OrganizationFilters, page: PageParams
    ) -> tuple[list[Organization], str | None]:
        if filters.within is not None:  # the API takes an id; the query wants its path
            filters = replace(filters, within=(await self.get(filters.within)).path)
        return await self.repository.list_page(filters, limit=page.limit, cursor=page.cursor)

    async def ancestry(self, org_id: str) -> list[Organization]:
        """The organizations from the root down to ``org_id``, in order."""
        ids = (await self.get(org_id)).ancestry()
        by_id = {o.id: o for o in await self.repository.get_many(ids)}
        return [by_id[i] for i in ids if i in by_id]

    async def subtree(self, org_id: str, depth: int) -> tuple[Organization, list[Organization]]:
        root = await self.get(org_id)
        orgs = await self.repository.subtree(root, max_depth=depth, limit=TREE_NODE_LIMIT)
        if len(orgs) > TREE_NODE_LIMIT:
            raise Unprocessable(
                f"the subtree has more than {TREE_NODE_LIMIT} organizations at this depth; "
                "ask for a smaller depth or page through GET /organizations?within=..."
            )
        return root, orgs

    async def create(self, principal: Principal, data: OrganizationCreate) -> Organization:
        parent = await self._parent_for_write(principal, data.parent_id)
        _check_parent_kind(data.kind, parent)
        await self._check_name_free(parent.id if parent else None, data.name)
        org = new_organization(
            new_id(),
            parent,
            name=data.name,
            kind=data.kind,
            sector=data.sector,
            short_name=data.short_name,
            area_code=data.area_code,
            address=data.address,
            contact_phone=data.contact_phone,
            description=data.description,
            established_on=data.established_on,
        )
        self.repository.add(org)
        await self.repository.session.flush()
        return org

    async def update(
        self, principal: Principal, org_id: str, data: OrganizationUpdate
    ) -> Organization:
        org = await self._active(org_id)
        _require_acts_for(principal, org)
        changes = data.model_dump(exclude_unset=True, mode="json")
        if "kind" in changes and changes["kind"] != org.kind:
            await self._check_kind_change(org, OrgKind(changes["kind"]))
        if "name" in changes and changes["name"] != org.name:
            await self._check_name_free(org.parent_id, changes["name"], exclude_id=org.id)
            key = pinyin_key(changes["name"])
            org.name_pinyin, org.name_initials = key.full, key.initials
        for field, value in changes.items():
            setattr(org, field, value)
        if "established_on" in changes:
            org.established_on = data.established_on  # keep the date type, not its JSON text
        org.updated_at = utcnow()
        await self.repository.session.flush()
        return org

    async def _check_kind_change(self, org: Organization, kind: OrgKind) -> None:
        parent = await self.repository.get(org.parent_id) if org.parent_id else None
        _check_parent_kind(kind, parent)
        for child_kind in await self.repository.active_child_kinds(org.id):
            if kind not in ALLOWED_PARENT_KINDS[OrgKind(child_kind)]:
                raise Conflict(
                    f"its {ORG_KIND_LABELS[OrgKind(child_kind)]} sub-organizations "
                    f"cannot sit under a {ORG_KIND_LABELS[kind]}"
                )

    async def move(self, principal: Principal, org_id: str, data: OrganizationMove) -> Organization:
        # First, before anything is read: moves run one at a time, each on the committed tree.
        await self.repository.lock_moves()
        org = await self._active(org_id)
        current_parent = await self.repository.get(org.parent_id) if org.parent_id else None
        if current_parent is None:
            raise Conflict("a root organization cannot be moved")
        _require_acts_for(principal, current_parent)
        new_parent = await self._parent_for_write(principal, data.parent_id)
        assert new_parent is not None
        if new_parent.path.startswith(org.path):
            raise Conflict("an organization cannot move under itself or its own descendants")
        if new_parent.id == current_parent.id:
            return org
        _check_parent_kind(OrgKind(org.kind), new_parent)
        await self._check_name_free(new_parent.id, org.name, exclude_id=org.id)
        old_path = org.path
        new_path = f"{new_parent.path}{org.id}/"
        await self.repository.move_subtree(old_path, new_path, new_parent.depth + 1 - org.depth)
        # In the same unit of work: the services following the log see the move iff it happened.
        await self.repository.log_move(org.id, old_path, new_path)
        org.parent_id = new_parent.id
        org.updated_at = utcnow()
        await self.repository.session.flush()
        await self.repository.session.refresh(org)
        return org

    async def moves_after(
        self, principal: Principal, after: int, limit: int
    ) -> list[OrganizationMoveEntry]:
        """The moves log after ``after``: for the platform's services and administrators only
        (it names every moved subtree's position; nobody else needs it to follow the tree)."""
        if not may_follow_moves(principal):
            raise Forbidden("only the platform's services and administrators read the moves log")
        return await self.repository.moves_after(after, limit)

    async def dissolve(
        self, principal: Principal, org_id: str, data: OrganizationDissolve
    ) -> Organization:
        org = await self._active(org_id)
        parent = await self.repository.get(org.parent_id) if org.parent_id else None
        if parent is None:
            if not principal.is_admin:
                raise Forbidden("only the platform administrator may dissolve a root")
        else:
            _require_acts_for(principal, parent)
        children = await self.repository.active_children_count(org.id)
        if children:
            raise Conflict(
                f"the organization still has {children} active sub-organizations; "
                "move or dissolve them first"
            )
        await self._require_nothing_depends_on(org.id)
        org.status = OrgStatus.DISSOLVED.value
        org.dissolved_at = utcnow()
        org.dissolution_reason = data.reason
        org.updated_at = org.dissolved_at
        await self.repository.session.flush()
        return org

    async def _require_nothing_depends_on(self, org_id: str) -> None:
        """Members' party relationships (组织关系) must be transferred and alliance ties
        ended first: a dissolved organization would otherwise keep members nobody manages
        and alliances led by nobody."""
        blockers = await self.repository.dissolve_blockers(org_id)
        reasons = []
        if blockers.members:
            reasons.append(f"{blockers.members} members on its rolls (transfer them first)")
        if blockers.led_alliances:
            led = ", ".join(blockers.led_alliances)
            reasons.append(f"it leads alliances {led} (give them another lead first)")
        if blockers.member_of_alliances:
            joined = ", ".join(blockers.member_of_alliances)
            reasons.append(f"it is a current member of alliances {joined} (leave them first)")
        if reasons:
            raise Conflict("the organization cannot be dissolved yet: " + "; ".join(reasons))

    async def _active(self, org_id: str) -> Organization:
        org = await self.get(org_id)
        if org.status != OrgStatus.ACTIVE.value:
            raise Conflict("the organization has been dissolved")
        return org

    async def _parent_for_write(
        self, principal: Principal, parent_id: str | None
    ) -> Organization | None:
        if parent_id is None:
            if not principal.is_admin:
                raise Forbidden("only the platform administrator may create a root organization")
            return None
        parent = await self.repository.get(parent_id)
        if parent is None or parent.status != OrgStatus.ACTIVE.value:
            raise Unprocessable(
                "the parent organization does not exist or has been dissolved",
                errors=[FieldError(field="parent_id", message="unknown organization")],
            )
        _require_acts_for(principal, parent)
        return parent

    async def _check_name_free(
        self, parent_id: str | None, name: str, *, exclude_id: str | None = None
    ) -> None:
        if await self.repository.sibling_named(parent_id, name, exclude_id=exclude_id):
            raise Conflict(f"an active organization named {name} already exists under this parent")


def new_organization(
    org_id: str,
    parent: Organization | None,
    *,
    name: str,
    kind: OrgKind,
    sector: Sector,
    area_code: str | None = None,
    **details: Any,
) -> Organization:
    """A new tree node with its path, depth and pinyin keys derived (create, import and demo)."""
    key = pinyin_key(name)
    return Organization(
        id=org_id,
        name=name,
        name_pinyin=key.full,
        name_initials=key.initials,
        kind=kind.value,
        sector=sector.value,
        parent_id=parent.id if parent else None,
        path=f"{parent.path if parent else '/'}{org_id}/",
        depth=parent.depth + 1 if parent else 0,
        area_code=area_code or (parent.area_code if parent else None),
        **details,
    )


def may_follow_moves(principal: Principal) -> bool:
    """An administrator, or a platform service calling with its client credentials."""
    return principal.is_admin or (principal.kind == "client" and Role.SERVICE in principal.roles)


def _require_acts_for(principal: Principal, org: Organization) -> None:
    require_manages(principal, org.ancestry(), "this organization")


def _check_parent_kind(kind: OrgKind, parent: Organization | None) -> None:
    parent_kind = OrgKind(parent.kind) if parent else None
    if parent_kind not in ALLOWED_PARENT_KINDS[kind]:
        under = ORG_KIND_LABELS[parent_kind] if parent_kind else "根"
        raise Unprocessable(
            f"a {ORG_KIND_LABELS[kind]} cannot sit under a {under}",
            errors=[FieldError(field="kind", message=f"{kind.value} not allowed under {under}")],
        )
