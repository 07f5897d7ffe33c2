"""The registry's figures for the city or any subtree on a date.

Grassroots organizations (the denominator of alliance coverage) are the kinds that hold
organizational life themselves: communities, villages, enterprise and joint committees, general
branches and branches. Leading bodies above them (市委, 区委, 街道/乡镇) and party groups inside
branches are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from zhdj_registry.repositories.statistics import StatisticsRepository
from zhdj_registry.repositories.units import UnitRepository
from zhdj_registry.schemas.statistics import (
    AllianceCoverage,
    AllianceFigures,
    Count,
    MemberFigures,
    OrganizationFigures,
    RegistryStatistics,
    Scope,
    UnitCoverage,
    YearCount,
)
from zhdj_registry.services.organizations import OrganizationService
from zhdj_registry.vocabulary import (
    ALLIANCE_PATTERN_LABELS,
    ALLIANCE_STATUS_LABELS,
    MEMBER_STATUS_LABELS,
    ORG_KIND_LABELS,
    SECTOR_LABELS,
    AllianceStatus,
    OrgKind,
)
from zhdj_shared.clock import today_in_china

GRASSROOTS_KINDS = frozenset(
    kind.value
    for kind in (
        OrgKind.COMMUNITY_COMMITTEE,
        OrgKind.VILLAGE_COMMITTEE,
        OrgKind.PARTY_COMMITTEE,
        OrgKind.JOINT_COMMITTEE,
        OrgKind.GENERAL_BRANCH,
        OrgKind.BRANCH,
        OrgKind.JOINT_BRANCH,
    )
)


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _counts(counter: Counter[str], labels: dict[str, str]) -> list[Count]:
    """Every known code (zeros included, so charts keep their axes), then unknown ones."""
    codes = list(labels) + sorted(set(counter) - set(labels))
    return [Count(code=c, label=labels.get(c, c), count=counter.get(c, 0)) for c in codes]


def _labels(pairs: Iterable[tuple[object, str]]) -> dict[str, str]:
    return {str(getattr(code, "value", code)): label for code, label in pairs}


class StatisticsService:
    def __init__(
        self,
        statistics: StatisticsRepository,
        units: UnitRepository,
        organizations: OrganizationService,
    ) -> None:
        self.statistics = statistics
        self.units = units
        self.organizations = organizations

    async def figures(self, within: str | None, on: date) -> RegistryStatistics:
        scope = Scope(org_id=None, name=None)
        path = None
        if within is not None:
            root = await self.organizations.get(within)
            scope, path = Scope(org_id=root.id, name=root.name), root.path
        member_rows = await self._member_rows(path, on)  # used twice
        return RegistryStatistics(
            scope=scope,
            on=on,
            organizations=await self._organizations(path),
            members=self._members(member_rows),
            alliances=await self._alliances(path, on),
            alliance_coverage=await self._alliance_coverage(path, on, member_rows),
            unit_coverage=await self._unit_coverage(path),
        )

    async def _member_rows(self, path: str | None, on: date) -> list[tuple[str, int, int]]:
        """Today's figures from the per-organization rollup (no member has a future
        ``joined_on`` or ``left_on``: the members service refuses them); other dates by a
        scan of the scope's members."""
        if on == today_in_china():
            return await self.statistics.member_figures_today(path, on)
        return await self.statistics.member_figures(path, on)

    async def _organizations(self, path: str | None) -> OrganizationFigures:
        by_kind: Counter[str] = Counter()
        by_sector: Counter[str] = Counter()
        for kind, sector, n in await self.statistics.organizations_by_kind_and_sector(path):
            by_kind[kind] += n
            by_sector[sector] += n
        return OrganizationFigures(
            total=sum(by_kind.values()),
            by_kind=_counts(by_kind, _labels(ORG_KIND_LABELS.items())),
            by_sector=_counts(by_sector, _labels(SECTOR_LABELS.items())),
        )

    def _members(self, rows: list[tuple[str, int, int]]) -> MemberFigures:
        by_status = Counter({status: n for status, n, _ in rows})
        return MemberFigures(
            total=sum(by_status.values()),
            by_status=_counts(by_status, _labels(MEMBER_STATUS_LABELS.items())),
        )

    async def _alliances(self, path: str | None, on: date) -> AllianceFigures:
        by_pattern: Counter[str] = Counter()
        by_status: Counter[str] = Counter()
        for pattern, status, n in await self.statistics.alliances_by_pattern_and_status(path, on):
            by_pattern[pattern] += n
            by_status[status] += n
        live_statuses = {
            k: v for k, v in ALLIANCE_STATUS_LABELS.items() if k != AllianceStatus.DISSOLVED
        }
        return AllianceFigures(
            total=sum(by_status.values()),
            by_pattern=_counts(by_pattern, _labels(ALLIANCE_PATTERN_LABELS.items())),
            by_status=_counts(by_status, _labels(live_statuses.items())),
            demonstration_sites=await self.statistics.demonstration_sites(path),
            demonstration_sites_by_year=[
                YearCount(year=y, count=n)
                for y, n in await self.statistics.demonstration_sites_by_year(path)
            ],
        )

    async def _alliance_coverage(
        self, path: str | None, on: date, member_rows: list[tuple[str, int, int]]
    ) -> AllianceCoverage:
        covered, total = await self.statistics.organizations_covered_by_alliances(
            path, on, GRASSROOTS_KINDS
        )
        members_covered = sum(c for _, _, c in member_rows)
        members = sum(n for _, n, _ in member_rows)
        return AllianceCoverage(
            organizations_covered=covered,
            grassroots_organizations=total,
            organization_rate=rate(covered, total),
            members_covered=members_covered,
            members=members,
            member_rate=rate(members_covered, members),
        )

    async def _unit_coverage(self, path: str | None) -> UnitCoverage:
        rows = await self.units.coverage(path, "sector")
        units = sum(r.units for r in rows)
        organization = sum(r.organization for r in rows)
        work = sum(r.work for r in rows)
        return UnitCoverage(
            units=units,
            organization_covered=organization,
            work_covered=work,
            blank_spots=units - organization - work,
            organization_rate=rate(organization, units),
            work_rate=rate(work, units),
            overall_rate=rate(organization + work, units),
        )
