"""Bulk export in the import format, so that an export can be edited and imported again.

Organizations come parents first; each row's ``引用`` is its id, and its parent is named by
``上级引用`` when the parent is in the file, by ``上级组织ID`` otherwise (the subtree's root).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from zhdj_registry.models import Organization
from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.services.imports import ORGANIZATION_COLUMNS
from zhdj_registry.tabular import Cell
from zhdj_registry.vocabulary import ORG_KIND_LABELS, SECTOR_LABELS, OrgKind, Sector
from zhdj_shared.errors import FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role

ORGANIZATION_HEADERS = [c.header for c in ORGANIZATION_COLUMNS]


class OrganizationExporter:
    def __init__(self, bulk: BulkRepository, orgs: OrganizationRepository) -> None:
        self.bulk = bulk
        self.orgs = orgs

    async def root_path(self, principal: Principal, within: str | None) -> str | None:
        """The subtree to export; staff must name one they act for."""
        if within is None:
            if principal.is_admin:
                return None
            raise Unprocessable(
                "name the subtree to export",
                errors=[FieldError(field="within", message="required")],
            )
        root = await self.orgs.get(within)
        if root is None:
            raise NotFound(f"organization {within} does not exist")
        if not principal.has_role(Role.ORG_STAFF) or not principal.acts_for(root.ancestry()):
            raise Forbidden("you do not act for this organization")
        return root.path

    async def rows(self, root_path: str | None) -> AsyncIterator[list[Cell]]:
        exported: set[str] = set()
        async for batch in self.bulk.subtree_batches(root_path):
            for org in batch:
                exported.add(org.id)
                yield organization_row(org, parent_in_file=org.parent_id in exported)


def organization_row(org: Organization, *, parent_in_file: bool) -> list[Cell]:
    values: dict[str, Cell] = {
        "ref": org.id,
        "name": org.name,
        "short_name": org.short_name,
        "kind": ORG_KIND_LABELS[OrgKind(org.kind)],
        "sector": SECTOR_LABELS[Sector(org.sector)],
        "parent_id": None if parent_in_file else org.parent_id,
        "parent_ref": org.parent_id if parent_in_file else None,
        "area_code": org.area_code,
        "address": org.address,
        "contact_phone": org.contact_phone,
        "description": org.description,
        "established_on": org.established_on.isoformat() if org.established_on else None,
    }
    return [values[c.field] for c in ORGANIZATION_COLUMNS]


async def collect(rows: AsyncIterator[Sequence[Cell]]) -> list[Sequence[Cell]]:
    return [row async for row in rows]
