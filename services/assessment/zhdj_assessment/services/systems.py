"""Indicator systems: versioned and immutable (a change is a new version of the same code)."""

from __future__ import annotations

from zhdj_assessment.models import Indicator, IndicatorSystem
from zhdj_assessment.repositories.systems import SystemRepository
from zhdj_assessment.schemas.systems import SystemCreate
from zhdj_assessment.services.access import require_assessor
from zhdj_assessment.vocabulary import IndicatorKind
from zhdj_shared.errors import NotFound
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal


class SystemService:
    def __init__(self, repository: SystemRepository) -> None:
        self.repository = repository

    async def list_page(
        self, page: PageParams
    ) -> tuple[list[tuple[IndicatorSystem, list[Indicator]]], str | None]:
        rows, next_cursor = await self.repository.list_page(page.limit, page.cursor)
        return [(s, await self.repository.indicators(s.id)) for s in rows], next_cursor

    async def get(self, system_id: str) -> tuple[IndicatorSystem, list[Indicator]]:
        system = await self.repository.get(system_id)
        if system is None:
            raise NotFound(f"indicator system {system_id} does not exist")
        return system, await self.repository.indicators(system_id)

    async def create(
        self, principal: Principal, data: SystemCreate
    ) -> tuple[IndicatorSystem, list[Indicator]]:
        require_assessor(principal)
        version = await self.repository.latest_version(data.code) + 1
        system = IndicatorSystem(
            code=data.code,
            version=version,
            name=data.name,
            target_kind=data.target_kind.value,
            grade_bands=data.grade_bands.model_dump(),
            rectification_below=data.rectification_below,
            veto_cap=data.veto_cap,
            incentive_share=data.incentive_share,
            appeal_days=data.appeal_days,
            alliance_adjustment=(
                data.alliance_adjustment.model_dump() if data.alliance_adjustment else None
            ),
            created_by=principal.subject,
        )
        rows: list[Indicator] = []
        for d_order, dim in enumerate(data.dimensions):
            parent = Indicator(
                system_id=system.id,
                code=dim.code,
                name=dim.name,
                kind=IndicatorKind.DIMENSION.value,
                weight=dim.weight,
                sort_order=d_order,
            )
            rows.append(parent)
            for i_order, ind in enumerate(dim.indicators):
                rows.append(
                    Indicator(
                        system_id=system.id,
                        parent_id=parent.id,
                        code=ind.code,
                        name=ind.name,
                        kind=ind.kind.value,
                        max_score=ind.max_score,
                        metric=ind.metric,
                        method=ind.method.value if ind.method else None,
                        params=ind.params,
                        veto=ind.veto,
                        veto_below=ind.veto_below,
                        sort_order=i_order,
                    )
                )
        await self.repository.add(system, rows)
        return system, rows
