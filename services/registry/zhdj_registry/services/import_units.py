"""Units (单位) and their coverage in and out of spreadsheets.

Each row goes through the rules of ``POST /units`` (``UnitCreate``: kinds and sectors as codes or
labels, the unified social credit code's checksum) and of ``PUT /units/{id}/coverage``
(``UnitCoverageSet``): the supervising organization must be active and in the importer's subtree
(or ``?parent_id=`` for rows that name none), a covering organization may be any active one, an
instructor's member record must be an active member (its name fills an empty 党建指导员). Credit
codes are unique among all units and within the file.

The export holds a subtree's active units (``within``, by their supervising organization), in the
same columns; ``引用`` is each unit's id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Unit
from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.schemas.imports import ImportEntity
from zhdj_registry.schemas.units import UnitCoverageSet, UnitCreate
from zhdj_registry.services.exports import iso, staff_subtree
from zhdj_registry.services.imports import (
    REF_COLUMN,
    ImportContext,
    ParsedRow,
    RowErrors,
    TabularKind,
    UniqueColumn,
    Values,
    cached_pinyin_key,
    choices,
    parse_with,
    upper,
)
from zhdj_registry.tabular import Cell, ColumnSpec
from zhdj_registry.vocabulary import (
    SECTOR_LABELS,
    UNIT_KIND_LABELS,
    Sector,
    UnitKind,
    UnitStatus,
)
from zhdj_shared.db import utcnow
from zhdj_shared.ids import new_id
from zhdj_shared.security.authz import Principal

UNIT_COLUMNS: list[ColumnSpec] = [
    REF_COLUMN,
    ColumnSpec("name", "单位名称", ("名称",), required=True),
    ColumnSpec("kind", "单位类型", ("类型",), required=True),
    ColumnSpec("sector", "领域", ("所属领域",), required=True),
    ColumnSpec("supervising_org_id", "主管组织ID", ("主管党组织ID", "主管组织id")),
    ColumnSpec("area_code", "行政区划代码", ("区划代码",)),
    ColumnSpec("area_name", "区划名称", ("所属区域", "区域名称")),
    ColumnSpec("address", "地址", ("单位地址",)),
    ColumnSpec("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码")),
    ColumnSpec("employees", "从业人员数", ("职工人数", "员工人数")),
    ColumnSpec("party_members", "党员人数", ("党员数",)),
    ColumnSpec("own_org_id", "本单位党组织ID", ("单独组建党组织ID",)),
    ColumnSpec("covering_org_id", "覆盖组织ID", ("联合党组织ID",)),
    ColumnSpec("instructor_name", "党建指导员", ("指导员",)),
    ColumnSpec("instructor_member_id", "指导员党员ID"),
]
_UNIT_FIELDS = list(UnitCreate.model_fields)
_COVERAGE_FIELDS = list(UnitCoverageSet.model_fields)
UNIT_KINDS = choices(UNIT_KIND_LABELS)
SECTORS = choices(SECTOR_LABELS)


@dataclass(frozen=True)
class UnitRow:
    unit: UnitCreate
    coverage: UnitCoverageSet


def unit_values(
    unit_id: str, supervising_org_path: str, data: UnitCreate, coverage: UnitCoverageSet
) -> dict[str, Any]:
    """Every column of a new unit, as ``UnitService.create`` and ``set_coverage`` store them."""
    key = cached_pinyin_key(data.name)
    now = utcnow()
    return {
        "id": unit_id,
        **data.model_dump(mode="json"),
        "name_pinyin": key.full,
        "name_initials": key.initials,
        "supervising_org_path": supervising_org_path,
        **coverage.model_dump(mode="json"),
        "status": UnitStatus.ACTIVE.value,
        "deactivated_at": None,
        "deactivation_reason": None,
        "created_at": now,
        "updated_at": now,
    }


class UnitsKind(TabularKind[UnitRow]):
    entity = ImportEntity.UNITS
    columns = UNIT_COLUMNS
    model = Unit
    org_columns = ("supervising_org_id", "own_org_id", "covering_org_id")
    default_org_column = "supervising_org_id"
    unique = (UniqueColumn("credit_code", Unit.credit_code, "统一社会信用代码", upper),)

    def parse(self, number: int, values: Values, errors: RowErrors) -> UnitRow | None:
        unit = parse_with(
            UnitCreate,
            number,
            values,
            errors,
            fields=_UNIT_FIELDS,
            enums={"kind": (UNIT_KINDS, "单位类型"), "sector": (SECTORS, "领域")},
        )
        coverage = parse_with(UnitCoverageSet, number, values, errors, fields=_COVERAGE_FIELDS)
        return UnitRow(unit, coverage) if unit is not None and coverage is not None else None

    async def plan(
        self, ctx: ImportContext, rows: Sequence[ParsedRow[UnitRow]]
    ) -> list[dict[str, Any] | None]:
        instructors = await ctx.bulk.members(
            r.values["instructor_member_id"] for r in rows if r.values["instructor_member_id"]
        )
        planned: list[dict[str, Any] | None] = []
        for row in rows:
            number, values, before = row.number, row.values, ctx.errors.count
            supervisor, supervisor_id = None, values["supervising_org_id"]
            if supervisor_id:
                supervisor = ctx.org(
                    number, "supervising_org_id", supervisor_id, what="主管组织", managed=True
                )
            for field, what in (("own_org_id", "本单位党组织"), ("covering_org_id", "覆盖组织")):
                if org_id := values[field]:
                    ctx.org(number, field, org_id, what=what, managed=False)
            instructor = None
            if values["instructor_member_id"]:
                instructor = instructors.get(values["instructor_member_id"])
                if instructor is None or instructor.left_on is not None:
                    ctx.errors.add(number, "instructor_member_id", "指导员不是在册党员")
            if row.data is None or supervisor is None or ctx.errors.count > before:
                planned.append(None)
                continue
            coverage = row.data.coverage
            if instructor is not None and coverage.instructor_name is None:
                coverage = coverage.model_copy(update={"instructor_name": instructor.name})
            planned.append(unit_values(new_id(), supervisor.path, row.data.unit, coverage))
        return planned

    async def export(
        self, session: AsyncSession, principal: Principal, within: str | None
    ) -> AsyncIterator[list[Cell]]:
        return _rows(BulkRepository(session), await staff_subtree(session, principal, within))


async def _rows(bulk: BulkRepository, root_path: str | None) -> AsyncIterator[list[Cell]]:
    query = select(Unit).where(col(Unit.status) == UnitStatus.ACTIVE.value)
    if root_path is not None:
        query = query.where(col(Unit.supervising_org_path).startswith(root_path, autoescape=True))
    order = (col(Unit.name_pinyin), col(Unit.id))
    async for batch in bulk.batches(query, order, lambda u: (u.name_pinyin, u.id)):
        for unit in batch:
            yield unit_row(unit)


def unit_row(unit: Unit) -> list[Cell]:
    values: dict[str, Cell] = {
        "ref": unit.id,
        "name": unit.name,
        "kind": UNIT_KIND_LABELS[UnitKind(unit.kind)],
        "sector": SECTOR_LABELS[Sector(unit.sector)],
        "supervising_org_id": unit.supervising_org_id,
        "area_code": unit.area_code,
        "area_name": unit.area_name,
        "address": unit.address,
        "credit_code": unit.credit_code,
        "employees": iso(unit.employees),
        "party_members": iso(unit.party_members),
        "own_org_id": unit.own_org_id,
        "covering_org_id": unit.covering_org_id,
        "instructor_name": unit.instructor_name,
        "instructor_member_id": unit.instructor_member_id,
    }
    return [values[c.field] for c in UNIT_COLUMNS]
