"""Statistics for assessment and dashboards: one scope, one period, every figure; or a batch of
scopes in one request (docs/decisions/0008-batch-reads.md).

A batch answers each scope exactly as ``GET /statistics`` would (the same code per scope), with
what can be shared read once: the registry data of every alliance scope in ONE lookup call (per
200), the organizations' records in one call, the cadence rules and type labels once, and the
secretaries' lectures of every alliance in one query. A scope that is unknown (404) or that the
caller may not read (403) is that item's problem; the registry being down fails the whole batch
(503), as it fails the single read: nothing is half-answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

from zhdj_activity import registry as reg
from zhdj_activity.periods import Window
from zhdj_activity.repositories.reports import Scope
from zhdj_activity.schemas.reports import StatisticsRead, TypeCount
from zhdj_activity.services.access import require_reader_of_path
from zhdj_activity.services.compliance import (
    ComplianceService,
    Party,
    SecretaryLecture,
    lecture_day,
    party_of,
)
from zhdj_activity.services.scope_refs import ScopeKind, ScopeRef
from zhdj_shared.batch import unique
from zhdj_shared.errors import Forbidden, NotFound, Problem
from zhdj_shared.security.authz import Principal

# Subtree listings read from the registry at once for a batch's ``within`` scopes (each cached
# for a minute, see ``registry.subtree``).
SUBTREE_READS_AT_ONCE = 8


@dataclass(frozen=True)
class Resolved:
    parties: list[Party]
    scope: Scope
    path: str


@dataclass(frozen=True)
class BatchOutcome:
    """One scope's answer: its figures (and lecture check when asked), or its problem."""

    statistics: StatisticsRead | None = None
    lectures: list[SecretaryLecture] | None = None
    problem: Problem | None = None


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

    async def batch(
        self,
        principal: Principal,
        scopes: list[ScopeRef],
        period: Window,
        type_labels: dict[str, str],
        *,
        with_lectures: bool,
    ) -> dict[ScopeRef, BatchOutcome]:
        """Each distinct scope's outcome (the caller answers duplicates from the same one).
        Lecture checks are for the period's year, as ``secretary-lectures?year=`` gives it."""
        distinct = unique(scopes)
        year = period.start.year
        alliances = await reg.alliances_on(
            self.compliance.registry,
            [s.id for s in distinct if s.kind == ScopeKind.ALLIANCE],
            lecture_day(year),
        )
        resolved = await self._resolve(distinct, alliances)
        outcomes: dict[ScopeRef, BatchOutcome] = {}
        readable: dict[ScopeRef, Resolved] = {}
        for ref, found in resolved.items():
            if isinstance(found, Problem):
                outcomes[ref] = BatchOutcome(problem=found)
                continue
            try:
                require_reader_of_path(principal, found.path)
            except Forbidden as refused:
                outcomes[ref] = BatchOutcome(problem=refused)
                continue
            readable[ref] = found
        lectures = (
            await self.compliance.lectures_of(
                [alliances[r.id] for r in readable if r.kind == ScopeKind.ALLIANCE], year
            )
            if with_lectures
            else {}
        )
        for ref, found in readable.items():  # one session: the scopes' queries one by one
            statistics = await self.figures(
                ref.label, found.parties, found.scope, period, type_labels
            )
            outcomes[ref] = BatchOutcome(statistics=statistics, lectures=lectures.get(ref.id))
        return outcomes

    async def _resolve(
        self, scopes: list[ScopeRef], alliances: dict[str, reg.AllianceInfo]
    ) -> dict[ScopeRef, Resolved | Problem]:
        """Parties, scope and path of each scope, from the registry (no database here)."""
        registry = self.compliance.registry
        orgs = await reg.organizations(
            registry, [s.id for s in scopes if s.kind != ScopeKind.ALLIANCE]
        )
        gate = asyncio.Semaphore(SUBTREE_READS_AT_ONCE)

        async def of_org(ref: ScopeRef) -> Resolved | Problem:
            org = orgs.get(ref.id)
            if org is None:
                return NotFound(f"organization {ref.id} is unknown to the registry")
            async with gate:
                return Resolved(
                    *await self.compliance.parties_of(org, subtree=ref.kind == ScopeKind.WITHIN)
                )

        async def of_alliance(ref: ScopeRef) -> Resolved | Problem:
            alliance = alliances.get(ref.id)
            if alliance is None:
                return NotFound(f"alliance {ref.id} is unknown to the registry")
            return Resolved(*party_of(alliance))

        reads: list[Awaitable[Resolved | Problem]] = [
            of_alliance(s) if s.kind == ScopeKind.ALLIANCE else of_org(s) for s in scopes
        ]
        return dict(zip(scopes, await asyncio.gather(*reads), strict=True))
