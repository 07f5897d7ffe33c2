"""Bulk import of organizations from CSV or Excel: validate everything in memory, then write
all rows in one flush, or nothing.

A row's parent is an existing organization (``上级组织ID``) or an earlier row of the same file
(``上级引用``, naming that row's ``引用``), so a whole tree fits in one file. Every existing
parent must be in the importer's subtree. Each row goes through the same rules as
``POST /organizations`` (the request schema, the allowed parent kinds, unique active names
among siblings).

Speed: building 100,000 SQLModel objects costs about a millisecond each, so rows are built as
plain column values by :func:`organization_values`, which derives exactly what
``new_organization`` derives (a test holds the two together), and written by one multi-row
``INSERT`` (executemany). Pinyin keys of repeated names (第一党支部...) are computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert

from zhdj_registry.models import Organization
from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.schemas.imports import ImportEntity, ImportReport, RowError
from zhdj_registry.schemas.organizations import OrganizationCreate
from zhdj_registry.tabular import Cell, ColumnSpec, Table, match_columns
from zhdj_registry.vocabulary import (
    ALLOWED_PARENT_KINDS,
    ORG_KIND_LABELS,
    SECTOR_LABELS,
    OrgKind,
    OrgStatus,
    Sector,
)
from zhdj_shared.db import utcnow
from zhdj_shared.errors import FieldError, Forbidden, Unprocessable
from zhdj_shared.ids import new_id
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role
from zhdj_shared.text import PinyinKey, pinyin_key

MAX_ERRORS = 1000
MAX_REFS_REPORTED = 1000

ORGANIZATION_COLUMNS: list[ColumnSpec] = [
    ColumnSpec("ref", "引用", ("引用编号", "编号")),
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

# Codes and Chinese labels are both accepted for enum columns.
_KINDS = {**{k.value: k for k in OrgKind}, **{v: k for k, v in ORG_KIND_LABELS.items()}}
_SECTORS = {**{s.value: s for s in Sector}, **{v: s for s, v in SECTOR_LABELS.items()}}


class RowErrors:
    """Row-level errors, the first ``MAX_ERRORS`` kept, all counted."""

    def __init__(self, headers: Sequence[str], positions: dict[str, int]) -> None:
        self.headers = headers
        self.positions = positions
        self.items: list[RowError] = []
        self.count = 0

    def add(self, row: int, field: str | None, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append(RowError(row=row, column=self.column(field), message=message))

    def column(self, field: str | None) -> str | None:
        if field is None or field not in self.positions:
            return None
        return self.headers[self.positions[field]]

    def add_validation(self, row: int, error: ValidationError) -> None:
        for item in error.errors():
            location = item.get("loc", ())
            name = str(location[0]) if location else None
            self.add(row, name, str(item.get("msg", "invalid")))


def check_headers(table: Table, specs: Sequence[ColumnSpec]) -> dict[str, int]:
    positions, problems = match_columns(table.headers, specs)
    if problems:
        raise Unprocessable(
            "表头有误：" + "；".join(problems),
            errors=[FieldError(field="file", message=p) for p in problems],
        )
    return positions


def row_values(cells: Sequence[Cell], positions: dict[str, int]) -> dict[str, str | None]:
    return {f: cells[i] if i < len(cells) else None for f, i in positions.items()}


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


@dataclass
class PlannedRow:
    row: int
    node: Node | None  # None when the row has errors


@dataclass
class OrgPlan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    by_ref: dict[str, PlannedRow] = field(default_factory=dict)


_cached_pinyin_key = lru_cache(maxsize=100_000)(pinyin_key)


def organization_values(
    org_id: str, parent: Node | None, data: OrganizationCreate
) -> dict[str, Any]:
    """Every column of a new organization, derived as ``new_organization`` derives it."""
    key: PinyinKey = _cached_pinyin_key(data.name)
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


class OrganizationImporter:
    def __init__(self, bulk: BulkRepository) -> None:
        self.bulk = bulk

    async def run(
        self, principal: Principal, table: Table, *, default_parent_id: str | None, dry_run: bool
    ) -> ImportReport:
        require_importer(principal)
        positions = check_headers(table, ORGANIZATION_COLUMNS)
        errors = RowErrors(table.headers, positions)
        rows = [(n, row_values(cells, positions)) for n, cells in table.rows]
        parsed = [(n, v, _parse(n, v, errors)) for n, v in rows]
        wanted = {v["parent_id"] for _, v, _ in parsed if v["parent_id"]}
        existing = await self.bulk.organizations(
            wanted | ({default_parent_id} if default_parent_id else set())
        )
        default_parent = _default_parent(principal, default_parent_id, existing)
        taken = await self.bulk.active_child_names(
            {p for p in wanted if p in existing} | {default_parent.id if default_parent else None}
        )
        planner = _Planner(principal, existing, default_parent, taken, errors)
        plan = planner.plan(parsed)
        created = 0
        if not errors.count and not dry_run and plan.rows:
            await self.bulk.session.exec(insert(Organization), params=plan.rows)
            created = len(plan.rows)
        return ImportReport(
            entity=ImportEntity.ORGANIZATIONS,
            dry_run=dry_run,
            valid=not errors.count,
            rows=len(rows),
            created=created,
            error_count=errors.count,
            errors=errors.items,
            refs=_refs(plan) if not errors.count and len(rows) <= MAX_REFS_REPORTED else {},
        )


def require_importer(principal: Principal) -> None:
    if not principal.has_role(Role.ORG_STAFF):
        raise Forbidden("only organization staff import data")


def _refs(plan: OrgPlan) -> dict[str, str]:
    return {ref: p.node.id for ref, p in plan.by_ref.items() if p.node is not None}


def _default_parent(
    principal: Principal, parent_id: str | None, existing: dict[str, Organization]
) -> Organization | None:
    if parent_id is None:
        return None
    parent = existing.get(parent_id)
    if parent is None or parent.status != OrgStatus.ACTIVE.value:
        raise Unprocessable(
            "the default parent does not exist or has been dissolved",
            errors=[FieldError(field="parent_id", message="unknown organization")],
        )
    if not principal.acts_for(parent.ancestry()):
        raise Forbidden("you do not act for the default parent organization")
    return parent


def _parse(
    number: int, values: dict[str, str | None], errors: RowErrors
) -> OrganizationCreate | None:
    """The row through the API's own request schema (kinds and sectors as codes or labels)."""
    payload: dict[str, Any] = {
        k: v
        for k, v in values.items()
        if v is not None and k not in {"ref", "parent_id", "parent_ref"}
    }
    ok = True
    for name, table, label in (("kind", _KINDS, "类型"), ("sector", _SECTORS, "领域")):
        raw = payload.get(name)
        if raw is None:
            continue
        if raw in table or raw.lower() in table:
            payload[name] = table.get(raw) or table[raw.lower()]
        else:
            errors.add(number, name, f"未知的{label}：{raw}")
            ok = False
    try:
        parsed = OrganizationCreate.model_validate(payload)
    except ValidationError as exc:
        errors.add_validation(number, exc)
        return None
    return parsed if ok else None


class _Planner:
    """Resolves parents row by row and builds the new organizations (or records errors)."""

    def __init__(
        self,
        principal: Principal,
        existing: dict[str, Organization],
        default_parent: Organization | None,
        taken: set[tuple[str | None, str]],
        errors: RowErrors,
    ) -> None:
        self.principal = principal
        self.existing = existing
        self.existing_nodes = {i: Node.of(o) for i, o in existing.items()}
        self.default_node = Node.of(default_parent) if default_parent else None
        self.names = set(taken)
        self.errors = errors
        self.result = OrgPlan()

    def plan(
        self, parsed: Sequence[tuple[int, dict[str, str | None], OrganizationCreate | None]]
    ) -> OrgPlan:
        for number, values, data in parsed:
            ref = values["ref"]
            if ref is not None and ref in self.result.by_ref:
                self.errors.add(
                    number, "ref", f"引用 {ref} 与第 {self.result.by_ref[ref].row} 行重复"
                )
                ref = None
            node = self._row(number, values, data)
            if ref is not None:
                self.result.by_ref[ref] = PlannedRow(number, node)
        return self.result

    def _row(
        self, number: int, values: dict[str, str | None], data: OrganizationCreate | None
    ) -> Node | None:
        found, parent = self._parent(number, values)
        if not found or data is None:
            return None
        parent_kind = OrgKind(parent.kind) if parent else None
        if parent_kind not in ALLOWED_PARENT_KINDS[data.kind]:
            under = ORG_KIND_LABELS[parent_kind] if parent_kind else "根（无上级）"
            self.errors.add(number, "kind", f"{ORG_KIND_LABELS[data.kind]}不能设在{under}之下")
            return None
        key = (parent.id if parent else None, data.name)
        if key in self.names:
            self.errors.add(number, "name", f"同一上级下已有名为“{data.name}”的组织")
            return None
        self.names.add(key)
        values_ = organization_values(new_id(), parent, data)
        self.result.rows.append(values_)
        return Node(
            values_["id"], values_["path"], values_["depth"], values_["kind"], values_["area_code"]
        )

    def _parent(self, number: int, values: dict[str, str | None]) -> tuple[bool, Node | None]:
        """``(resolved, parent)``; a root has ``(True, None)``."""
        parent_id, parent_ref = values["parent_id"], values["parent_ref"]
        if parent_id and parent_ref:
            self.errors.add(number, "parent_ref", "上级组织ID与上级引用只能填一个")
            return False, None
        if parent_ref:
            planned = self.result.by_ref.get(parent_ref)
            if planned is None:
                self.errors.add(number, "parent_ref", f"上级引用 {parent_ref} 不是前面某一行的引用")
                return False, None
            if planned.node is None:
                self.errors.add(number, "parent_ref", f"上级（第 {planned.row} 行）有错误")
                return False, None
            return True, planned.node
        if parent_id:
            return self._existing_parent(number, parent_id)
        if self.default_node is not None:
            return True, self.default_node
        if not self.principal.is_admin:
            self.errors.add(number, "parent_id", "缺少上级：请填写上级组织ID或上级引用")
            return False, None
        return True, None

    def _existing_parent(self, number: int, parent_id: str) -> tuple[bool, Node | None]:
        parent = self.existing.get(parent_id)
        if parent is None or parent.status != OrgStatus.ACTIVE.value:
            self.errors.add(number, "parent_id", f"上级组织 {parent_id} 不存在或已撤销")
            return False, None
        if not self.principal.acts_for(parent.ancestry()):
            self.errors.add(number, "parent_id", f"无权在上级组织 {parent_id} 之下导入")
            return False, None
        return True, self.existing_nodes[parent_id]
