"""Statistics for assessment and dashboards: one scope, one period, every figure."""

from __future__ import annotations

from dataclasses import dataclass

from zhdj_activity.periods import Window
from zhdj_activity.repositories.reports import Scope
from zhdj_activity.schemas.reports import StatisticsRead, TypeCount
from zhdj_activity.services.compliance import ComplianceService, Party


@dataclass(frozen=True)
class StatisticsService:
    compliance: ComplianceService

    async def figures(
        self,
        label: str,
        parties: list[Party],
        scope: Scope,
        period: Window,
        type_labels: dict[str, str],
    ) -> StatisticsRead:
        repository = self.compliance.repository
        report = await self.compliance.report(parties, scope, period, keep_all=False)
        by_type = await repository.by_type(scope, period.start, period.end)
        roster, present = await repository.attendance_totals(scope, period.start, period.end)
        hours, person_times = await repository.volunteer_totals(scope, period.start, period.end)
        return StatisticsRead(
            scope=label,
            period_start=period.start,
            period_end=period.end,
            activities=sum(by_type.values()),
            by_type=[
                TypeCount(type_code=code, label_zh=type_labels.get(code, code), count=count)
                for code, count in sorted(by_type.items())
            ],
            compliance_rate=report.rate,
            attendance_rate=round(present / roster, 4) if roster else None,
            roster_places=roster,
            present=present,
            volunteer_hours=hours,
            volunteer_person_times=person_times,
        )
