"""Rules of units and their coverage (两个覆盖).

Who may write: staff acting for the unit's supervising organization or above it (moving a unit
to another supervisor needs acting for both). Coverage may point at any active organization:
a joint organization covering a unit usually sits elsewhere in the tree. Reading units and
coverage figures is open to every ``registry:read`` caller: they are public organization data.
"""

from __future__ import annotations

from dataclasses import replace

from zhdj_registry.models import Organization, Unit
from zhdj_registry.repositories.members import MemberRepository
from zhdj_registry.repositories.units import CoverageRow, UnitFilters, UnitRepository
from zhdj_registry.schemas.units import (
    CoverageFigures,
    CoverageReport,
    UnitCoverageSet,
    UnitCreate,
    UnitDeactivate,
    UnitUpdate,
)
from zhdj_registry.services.acting import path_ancestry, require_manages
from zhdj_registry.services.members_check import on_the_rolls
from zhdj_registry.vocabulary import SECTOR_LABELS, CoverageStatus, OrgStatus, Sector, UnitStatus
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, NotFound, Unprocessable
from zhdj_shared.ids import new_id
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.text import pinyin_key


class UnitService:
    def __init__(self, units: UnitRepository, members: MemberRepository) -> None:
        self.units = units
        self.members = members

    async def get(self, unit_id: str) -> Unit:
        unit = await self.units.get(unit_id)
        if unit is None:
            raise NotFound(f"unit {unit_id} does not exist")
        return unit

    async def list_page(
        self, filters: UnitFilters, page: PageParams
    ) -> tuple[list[Unit], str | None]:
        if filters.within is not None:
            filters = replace(filters, within=await self._path_of(filters.within))
        return await self.units.list_page(filters, limit=page.limit, cursor=page.cursor)

    async def blank_spots(
        self, within: str | None, page: PageParams
    ) -> tuple[list[Unit], str | None]:
        filters = UnitFilters(within=within, coverage=CoverageStatus.BLANK.value)
        return await self.list_page(filters, page)

    async def coverage(self, within: str | None, by: str) -> CoverageReport:
        path = await self._path_of(within) if within is not None else None
        rows = await self.units.coverage(path, by)
        groups = [
            _figures(row, SECTOR_LABELS[Sector(row.key)] if by == "sector" and row.key else None)
            for row in rows
        ]
        total = CoverageRow(
            key=None,
            label=None,
            units=sum(r.units for r in rows),
            organization=sum(r.organization for r in rows),
            work=sum(r.work for r in rows),
        )
        return CoverageReport(within=within, by=by, total=_figures(total, "合计"), groups=groups)

    async def create(self, principal: Principal, data: UnitCreate) -> Unit:
        supervisor = await self._active_org(data.supervising_org_id, "supervising_org_id")
        require_manages(principal, supervisor.ancestry(), "the supervising organization")
        if data.credit_code:
            await self._check_credit_code_free(data.credit_code)
        key = pinyin_key(data.name)
        unit = Unit(
            id=new_id(),
            name_pinyin=key.full,
            name_initials=key.initials,
            supervising_org_path=supervisor.path,
            **data.model_dump(mode="json"),
        )
        self.units.add(unit)
        await self.units.session.flush()
        return unit

    async def update(self, principal: Principal, unit_id: str, data: UnitUpdate) -> Unit:
        unit = await self._writable(principal, unit_id)
        changes = data.model_dump(exclude_unset=True, mode="json")
        new_supervisor = changes.get("supervising_org_id")
        if new_supervisor and new_supervisor != unit.supervising_org_id:
            supervisor = await self._active_org(new_supervisor, "supervising_org_id")
            require_manages(principal, supervisor.ancestry(), "the new supervising organization")
            unit.supervising_org_path = supervisor.path
        if changes.get("credit_code") and changes["credit_code"] != unit.credit_code:
            await self._check_credit_code_free(changes["credit_code"], exclude_id=unit.id)
        if "name" in changes and changes["name"] != unit.name:
            key = pinyin_key(changes["name"])
            unit.name_pinyin, unit.name_initials = key.full, key.initials
        for field, value in changes.items():
            setattr(unit, field, value)
        unit.updated_at = utcnow()
        await self.units.session.flush()
        return unit

    async def set_coverage(self, principal: Principal, unit_id: str, data: UnitCoverageSet) -> Unit:
        unit = await self._writable(principal, unit_id)
        for field in ("own_org_id", "covering_org_id"):
            org_id = getattr(data, field)
            if org_id is not None:
                await self._active_org(org_id, field)
        instructor_name = data.instructor_name
        if data.instructor_member_id is not None:
            member = on_the_rolls(
                await self.members.get(data.instructor_member_id),
                data.instructor_member_id,
                "instructor_member_id",
            )
            instructor_name = instructor_name or member.name
        unit.own_org_id = data.own_org_id
        unit.covering_org_id = data.covering_org_id
        unit.instructor_name = instructor_name
        unit.instructor_member_id = data.instructor_member_id
        unit.updated_at = utcnow()
        await self.units.session.flush()
        return unit

    async def deactivate(self, principal: Principal, unit_id: str, data: UnitDeactivate) -> Unit:
        unit = await self._writable(principal, unit_id)
        unit.status = UnitStatus.DEACTIVATED.value
        unit.deactivated_at = utcnow()
        unit.deactivation_reason = data.reason
        unit.updated_at = unit.deactivated_at
        await self.units.session.flush()
        return unit

    async def _writable(self, principal: Principal, unit_id: str) -> Unit:
        unit = await self.get(unit_id)
        require_manages(
            principal,
            path_ancestry(unit.supervising_org_path),
            "the unit's supervising organization",
        )
        if unit.status != UnitStatus.ACTIVE.value:
            raise Conflict("the unit has been deactivated")
        return unit

    async def _path_of(self, org_id: str) -> str:
        org = await self.members.get_org(org_id)
        if org is None:
            raise NotFound(f"organization {org_id} does not exist")
        return org.path

    async def _active_org(self, org_id: str, field: str) -> Organization:
        org = await self.members.get_org(org_id)
        if org is None or org.status != OrgStatus.ACTIVE.value:
            raise Unprocessable(
                "the organization does not exist or has been dissolved",
                errors=[FieldError(field=field, message="unknown organization")],
            )
        return org

    async def _check_credit_code_free(self, code: str, *, exclude_id: str | None = None) -> None:
        if await self.units.with_credit_code(code, exclude_id=exclude_id):
            raise Conflict(f"a unit with the unified social credit code {code} exists already")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(row: CoverageRow, label: str | None) -> CoverageFigures:
    covered = row.organization + row.work
    return CoverageFigures(
        key=row.key,
        label=label if label is not None else row.label,
        units=row.units,
        organization_covered=row.organization,
        work_covered=row.work,
        covered=covered,
        blank=row.units - covered,
        organization_coverage_rate=_rate(row.organization, row.units),
        work_coverage_rate=_rate(row.work, row.units),
        coverage_rate=_rate(covered, row.units),
        blank_rate=_rate(row.units - covered, row.units),
    )
