"""Organizations in and out of spreadsheets.

A row's parent is an existing organization (``上级组织ID``) or an earlier row of the same file
(``上级引用``, naming that row's ``引用``), so a whole tree fits in one file. Every existing
parent must be in the importer's subtree. Each row goes through the same rules as
``POST /organizations`` (the request schema, the allowed parent kinds, unique active names
among siblings). :func:`organization_values` derives exactly what ``new_organization`` derives
(a test holds the two together); pinyin keys of repeated names (第一党支部...) are computed once.

The export comes parents first; each row's ``引用`` is its id, and its parent is named by
``上级引用`` when the parent is in the file, by ``上级组织ID`` otherwise (the subtree's root).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Organization
from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.schemas.imports import ImportEntity
from zhdj_registry.schemas.organizations import OrganizationCreate
from zhdj_registry.services.exports import iso, staff_subtree
from zhdj_registry.services.imports import (
    REF_COLUMN,
    ImportContext,
    ParsedRow,
    RowErrors,
    TabularKind,
    Values,
    cached_pinyin_key,
    choices,
    parse_with,
)
from zhdj_registry.tabular import Cell, ColumnSpec
from zhdj_registry.vocabulary import (
    ALLOWED_PARENT_KINDS,
    ORG_KIND_LABELS,
    SECTOR_LABELS,
    OrgKind,
    OrgStatus,
    Sector,
)
from zhdj_shared.db import utcnow
from zhdj_shared.ids import new_id
from zhdj_shared.security.authz import Principal

ORGANIZATION_COLUMNS: list[ColumnSpec] = [
    REF_COLUMN,
    ColumnSpec("name", "名称", ("组织名称", "党组织名称"), required=True),
    ColumnSpec("short_name", "简称"),
    ColumnSpec("kind", "类型", ("组织类型",), required=True),
    ColumnSpec("sector", "领域", ("所属领域",), required=True),
    ColumnSpec("parent_id", "上级组织ID", ("上级ID", "上级组织id")),
    ColumnSpec("parent_ref", "上级引用", ("上级编号",)),
    ColumnSpec("area_code", "行政区划代码", ("区划代码",)),
    ColumnSpec("address", "地址"),
    ColumnSpec("contact_phone", "联系电话", ("电话",)),
    ColumnSpec("description", "简介", ("描述", "说明")),
    ColumnSpec("established_on", "成立日期"),
]
_FIELDS = [
    c.field for c in ORGANIZATION_COLUMNS if c.field not in {"ref", "parent_id", "parent_ref"}
]
ORG_KINDS = choices(ORG_KIND_LABELS)
SECTORS = choices(SECTOR_LABELS)


@dataclass(frozen=True)
class Node:
    """What a child needs of its parent, whether the parent exists or is an earlier row."""

    id: str
    path: str
    depth: int
    kind: str
    area_code: str | None

    @classmethod
    def of(cls, org: Organization) -> Node:
        return cls(org.id, org.path, org.depth, org.kind, org.area_code)


def organization_values(
    org_id: str, parent: Node | None, data: OrganizationCreate
) -> dict[str, Any]:
    """Every column of a new organization, derived as ``new_organization`` derives it."""
    key = cached_pinyin_key(data.name)
    now = utcnow()
    return {
        "id": org_id,
        "name": data.name,
        "short_name": data.short_name,
        "name_pinyin": key.full,
        "name_initials": key.initials,
        "kind": data.kind.value,
        "sector": data.sector.value,
        "parent_id": parent.id if parent else None,
        "path": f"{parent.path if parent else '/'}{org_id}/",
        "depth": parent.depth + 1 if parent else 0,
        "area_code": data.area_code or (parent.area_code if parent else None),
        "address": data.address,
        "contact_phone": data.contact_phone,
        "description": data.description,
        "established_on": data.established_on,
        "status": OrgStatus.ACTIVE.value,
        "dissolved_at": None,
        "dissolution_reason": None,
        "created_at": now,
        "updated_at": now,
    }


class OrganizationsKind(TabularKind[OrganizationCreate]):
    entity = ImportEntity.ORGANIZATIONS
    columns = ORGANIZATION_COLUMNS
    model = Organization
    org_columns = ("parent_id",)

    def parse(self, number: int, values: Values, errors: RowErrors) -> OrganizationCreate | None:
        return parse_with(
            OrganizationCreate,
            number,
            values,
            errors,
            fields=_FIELDS,
            enums={"kind": (ORG_KINDS, "类型"), "sector": (SECTORS, "领域")},
        )

    async def plan(
        self, ctx: ImportContext, rows: Sequence[ParsedRow[OrganizationCreate]]
    ) -> list[dict[str, Any] | None]:
        default = ctx.default_org.id if ctx.default_org else None  # None: the roots
        taken = await ctx.bulk.active_child_names({*ctx.orgs, default})
        return _Planner(ctx, taken).plan(rows)

    async def export(
        self, session: AsyncSession, principal: Principal, within: str | None
    ) -> AsyncIterator[list[Cell]]:
        return _rows(BulkRepository(session), await staff_subtree(session, principal, within))


async def _rows(bulk: BulkRepository, root_path: str | None) -> AsyncIterator[list[Cell]]:
    exported: set[str] = set()
    async for batch in bulk.subtree_batches(root_path):
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
        "established_on": iso(org.established_on),
    }
    return [values[c.field] for c in ORGANIZATION_COLUMNS]


class _Planner:
    """Resolves parents row by row and builds the new organizations (or records errors)."""

    def __init__(self, ctx: ImportContext, taken: set[tuple[str | None, str]]) -> None:
        self.ctx = ctx
        self.errors = ctx.errors
        self.default_node = Node.of(ctx.default_org) if ctx.default_org else None
        self.names = set(taken)
        self.by_ref: dict[str, tuple[int, Node | None]] = {}

    def plan(self, rows: Sequence[ParsedRow[OrganizationCreate]]) -> list[dict[str, Any] | None]:
        planned: list[dict[str, Any] | None] = []
        for row in rows:
            values = self._row(row.number, row.values, row.data)
            planned.append(values)
            if row.ref is not None:
                node = None
                if values is not None:
                    node = Node(
                        values["id"],
                        values["path"],
                        values["depth"],
                        values["kind"],
                        values["area_code"],
                    )
                self.by_ref[row.ref] = (row.number, node)
        return planned

    def _row(
        self, number: int, values: Values, data: OrganizationCreate | None
    ) -> dict[str, Any] | None:
        found, parent = self._parent(number, values)
        if not found or data is None:
            return None
        parent_kind = OrgKind(parent.kind) if parent else None
        if parent_kind not in ALLOWED_PARENT_KINDS[data.kind]:
            under = ORG_KIND_LABELS[parent_kind] if parent_kind else "顶层"
            self.errors.add(number, "kind", f"{ORG_KIND_LABELS[data.kind]}不能设在{under}之下")
            return None
        key = (parent.id if parent else None, data.name)
        if key in self.names:
            self.errors.add(number, "name", f"同一上级下已有名为“{data.name}”的组织")
            return None
        self.names.add(key)
        return organization_values(new_id(), parent, data)

    def _parent(self, number: int, values: Values) -> tuple[bool, Node | None]:
        """``(resolved, parent)``; a root has ``(True, None)``."""
        parent_id, parent_ref = values["parent_id"], values["parent_ref"]
        if parent_id and parent_ref:
            self.errors.add(number, "parent_ref", "上级组织ID与上级引用只能填一个")
            return False, None
        if parent_ref:
            planned = self.by_ref.get(parent_ref)
            if planned is None:
                self.errors.add(number, "parent_ref", f"上级引用 {parent_ref} 不是前面某一行的引用")
                return False, None
            if planned[1] is None:
                self.errors.add(number, "parent_ref", f"上级（第 {planned[0]} 行）有错误")
                return False, None
            return True, planned[1]
        if parent_id:
            parent = self.ctx.org(number, "parent_id", parent_id, what="上级组织", managed=True)
            return parent is not None, Node.of(parent) if parent else None
        if self.default_node is not None:
            return True, self.default_node
        if not self.ctx.principal.is_admin:
            self.errors.add(number, "parent_id", "缺少上级：请填写上级组织ID或上级引用")
            return False, None
        return True, None
