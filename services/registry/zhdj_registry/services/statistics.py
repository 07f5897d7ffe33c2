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

from zhdj_registry.repositories.statistics import ScopeFigures, StatisticsRepository
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
from zhdj_shared.batch import unique
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
        self, statistics: StatisticsRepository, organizations: OrganizationService
    ) -> None:
        self.statistics = statistics
        self.organizations = organizations

    async def figures(self, within: str | None, on: date) -> RegistryStatistics:
        if within is None:
            return await self._figures(Scope(org_id=None, name=None), None, on)
        root = await self.organizations.get(within)
        return await self._figures(Scope(org_id=root.id, name=root.name), root.path, on)

    async def figures_many(
        self, within: list[str], on: date
    ) -> tuple[list[RegistryStatistics], list[str]]:
        """The figures of each known subtree (in the order asked, each once), and the unknown
        ids: the roots in one statement, then the same one statement per scope that
        :meth:`figures` runs (a batch saves the HTTP round trips, token checks and sessions of
        one call per scope; each scope's scans are its own)."""
        ids = unique(within)
        roots = {o.id: o for o in await self.organizations.repository.get_many(ids)}
        items = [
            await self._figures(Scope(org_id=root.id, name=root.name), root.path, on)
            for root in (roots[i] for i in ids if i in roots)
        ]
        return items, [i for i in ids if i not in roots]

    async def _figures(self, scope: Scope, path: str | None, on: date) -> RegistryStatistics:
        # One statement for every figure (repositories.statistics). Today's members come from
        # the per-organization rollup (no member has a future ``joined_on`` or ``left_on``: the
        # members service refuses them); other dates by a scan of the scope's members.
        figures = await self.statistics.figures(path, on, members_today=on == today_in_china())
        return RegistryStatistics(
            scope=scope,
            on=on,
            organizations=self._organizations(figures),
            members=self._members(figures),
            alliances=self._alliances(figures),
            alliance_coverage=self._alliance_coverage(figures),
            unit_coverage=self._unit_coverage(figures),
        )

    def _organizations(self, figures: ScopeFigures) -> OrganizationFigures:
        by_kind: Counter[str] = Counter()
        by_sector: Counter[str] = Counter()
        for kind, sector, n, _ in figures.organizations:
            by_kind[kind] += n
            by_sector[sector] += n
        return OrganizationFigures(
            total=sum(by_kind.values()),
            by_kind=_counts(by_kind, _labels(ORG_KIND_LABELS.items())),
            by_sector=_counts(by_sector, _labels(SECTOR_LABELS.items())),
        )

    def _members(self, figures: ScopeFigures) -> MemberFigures:
        by_status = Counter({status: n for status, n, _ in figures.members})
        return MemberFigures(
            total=sum(by_status.values()),
            by_status=_counts(by_status, _labels(MEMBER_STATUS_LABELS.items())),
        )

    def _alliances(self, figures: ScopeFigures) -> AllianceFigures:
        by_pattern: Counter[str] = Counter()
        by_status: Counter[str] = Counter()
        for pattern, status, n in figures.alliances:
            by_pattern[pattern] += n
            by_status[status] += n
        live_statuses = {
            k: v for k, v in ALLIANCE_STATUS_LABELS.items() if k != AllianceStatus.DISSOLVED
        }
        return AllianceFigures(
            total=sum(by_status.values()),
            by_pattern=_counts(by_pattern, _labels(ALLIANCE_PATTERN_LABELS.items())),
            by_status=_counts(by_status, _labels(live_statuses.items())),
            demonstration_sites=figures.demonstration_sites,
            demonstration_sites_by_year=[
                YearCount(year=y, count=n) for y, n in figures.demonstration_sites_by_year
            ],
        )

    def _alliance_coverage(self, figures: ScopeFigures) -> AllianceCoverage:
        """Active grassroots organizations of the scope (``GRASSROOTS_KINDS``) in a live
        alliance, and members in force whose home organization is in one."""
        grassroots = [(n, c) for kind, _, n, c in figures.organizations if kind in GRASSROOTS_KINDS]
        total = sum(n for n, _ in grassroots)
        covered = sum(c for _, c in grassroots)
        members_covered = sum(c for _, _, c in figures.members)
        members = sum(n for _, n, _ in figures.members)
        return AllianceCoverage(
            organizations_covered=covered,
            grassroots_organizations=total,
            organization_rate=rate(covered, total),
            members_covered=members_covered,
            members=members,
            member_rate=rate(members_covered, members),
        )

    def _unit_coverage(self, figures: ScopeFigures) -> UnitCoverage:
        units = sum(n for _, n, _, _ in figures.units)
        organization = sum(o for _, _, o, _ in figures.units)
        work = sum(w for _, _, _, w in figures.units)
        return UnitCoverage(
            units=units,
            organization_covered=organization,
            work_covered=work,
            blank_spots=units - organization - work,
            organization_rate=rate(organization, units),
            work_rate=rate(work, units),
            overall_rate=rate(organization + work, units),
        )
