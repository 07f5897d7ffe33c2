"""Cadence compliance: what each party was required to hold in a period, and what it held.

Rules are data (``cadence_rules``). For every party in scope and every rule that binds it, the
rule's calendar windows overlapping the period are judged one by one (see ``periods``):

* a window is *required* when it ends by the period's end and no exemption covers it whole;
* it is *met* when the party took part (as owner or joint partner) in at least ``min_count``
  held or approved activities of the rule's type on days inside the window;
* an unmet window is *overdue* once it has ended, *due soon* when it ends within
  ``DUE_SOON_DAYS`` from today, *open* otherwise; *missing* lists the unmet required windows.

The compliance rate is met / required over required windows.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from zhdj_activity import registry as reg
from zhdj_activity.models import CadenceExemption, CadenceRule
from zhdj_activity.periods import Window, windows
from zhdj_activity.repositories.reports import ReportRepository, Scope
from zhdj_activity.vocabulary import ORG_KINDS_OF, AppliesTo, PartyKind, Period
from zhdj_shared.clock import today_in_china
from zhdj_shared.errors import NotFound
from zhdj_shared.registry_client import RegistryClient

DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class Party:
    kind: PartyKind
    id: str
    name: str
    org_kind: str | None  # the registry kind for organizations


@dataclass(frozen=True)
class WindowResult:
    party_id: str
    rule_code: str
    window: Window
    required: bool
    held: int
    min_count: int
    exempt: bool
    state: str  # met | overdue | due_soon | open | exempt

    @property
    def met(self) -> bool:
        return self.held >= self.min_count


# A subtree report lists at most this many notable (missing or due soon) windows; its counts
# cover every window.
NOTABLE_CAP = 1000


@dataclass
class Report:
    period: Window
    today: date
    parties: list[Party]
    keep_all: bool = True  # every window in ``results``; else only notable ones
    required: int = 0
    met: int = 0
    states: Counter[str] = field(default_factory=Counter)
    results: list[WindowResult] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return self.required - self.met

    @property
    def rate(self) -> float | None:
        return round(self.met / self.required, 4) if self.required else None

    def count(self, state: str) -> int:
        return self.states[state]

    def add(self, result: WindowResult) -> None:
        self.results.append(result)


def rules_for(party: Party, rules: Iterable[CadenceRule]) -> list[CadenceRule]:
    found = []
    for rule in rules:
        applies = AppliesTo(rule.applies_to)
        if party.kind == PartyKind.ALLIANCE:
            if applies == AppliesTo.ALLIANCE:
                found.append(rule)
        elif party.org_kind in ORG_KINDS_OF.get(applies, frozenset()):
            found.append(rule)
    return found


def _exempt(exemptions: list[CadenceExemption], rule: CadenceRule, window: Window) -> bool:
    return any(
        (e.rule_code is None or e.rule_code == rule.code)
        and e.start_on <= window.start
        and e.end_on >= window.end
        for e in exemptions
    )


def _state(required: bool, met: bool, window: Window, today: date) -> str:
    if met:
        return "met"
    if window.end < today:
        return "overdue" if required else "open"
    if window.start <= today and window.end <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "open"


def _count_in(days: list[date], window: Window) -> int:
    """Days (sorted) inside the window: two binary searches."""
    return bisect_right(days, window.end) - bisect_left(days, window.start)


def judge(
    report: Report,
    rules: list[CadenceRule],
    held: list[tuple[str, str, date]],
    exemptions: list[CadenceExemption],
) -> None:
    """Judge every (party, rule, window) into ``report`` (pure: the hand-computed tests
    exercise exactly this). A district-year is ~20,000 windows: the loop only counts, and
    builds a :class:`WindowResult` only for windows the report lists."""
    days: dict[tuple[str, str], list[date]] = {}
    for party_id, type_code, day in held:
        days.setdefault((party_id, type_code), []).append(day)
    for found in days.values():
        found.sort()
    exempt_by_party: dict[str, list[CadenceExemption]] = {}
    for e in exemptions:
        exempt_by_party.setdefault(e.party_id, []).append(e)
    rule_windows = {
        r.code: [(w, w.end <= report.period.end) for w in windows(Period(r.period), report.period)]
        for r in rules
    }
    bound: dict[tuple[PartyKind, str | None], list[CadenceRule]] = {}
    for party in report.parties:
        key = (party.kind, party.org_kind)
        if key not in bound:
            bound[key] = rules_for(party, rules)
        party_exemptions = exempt_by_party.get(party.id, [])
        for rule in bound[key]:
            held_days = days.get((party.id, rule.activity_type), [])
            for window, in_period in rule_windows[rule.code]:
                count = _count_in(held_days, window) if held_days else 0
                exempt = bool(party_exemptions) and _exempt(party_exemptions, rule, window)
                required = in_period and not exempt
                met = count >= rule.min_count
                state = "exempt" if exempt else _state(required, met, window, report.today)
                report.states[state] += 1
                if required:
                    report.required += 1
                    report.met += met
                notable = (required and not met) or state == "due_soon"
                if report.keep_all or (notable and len(report.results) < NOTABLE_CAP):
                    report.add(
                        WindowResult(
                            party.id,
                            rule.code,
                            window,
                            required,
                            count,
                            rule.min_count,
                            exempt,
                            state,
                        )
                    )


class ComplianceService:
    def __init__(self, repository: ReportRepository, registry: RegistryClient) -> None:
        self.repository = repository
        self.registry = registry
        self._rules: list[CadenceRule] | None = None

    async def rules(self) -> list[CadenceRule]:
        """The active rules, read once per request (a batch judges many scopes by them)."""
        if self._rules is None:
            self._rules = await self.repository.rules()
        return self._rules

    async def parties_of_org(self, org_id: str, subtree: bool) -> tuple[list[Party], Scope, str]:
        org = await reg.organization(self.registry, org_id)
        if org is None:
            raise NotFound(f"organization {org_id} is unknown to the registry")
        return await self.parties_of(org, subtree)

    async def parties_of(self, org: reg.OrgInfo, subtree: bool) -> tuple[list[Party], Scope, str]:
        if not subtree:
            party = Party(PartyKind.ORG, org.id, org.name, org.kind)
            return [party], Scope(party_id=org.id), org.path
        orgs = await reg.subtree(self.registry, org.id) or []
        parties = [Party(PartyKind.ORG, o.id, o.name, o.kind) for o in orgs]
        return parties, Scope(path=org.path), org.path

    async def alliance(self, alliance_id: str, on: date) -> reg.AllianceInfo:
        """The alliance with its members and secretaries on ``on``: one registry call."""
        found = await reg.alliances_on(self.registry, [alliance_id], on)
        if alliance_id not in found:
            raise NotFound(f"alliance {alliance_id} is unknown to the registry")
        return found[alliance_id]

    async def party_of_alliance(self, alliance_id: str) -> tuple[list[Party], Scope, str]:
        return party_of(await self.alliance(alliance_id, today_in_china()))

    async def report(
        self, parties: list[Party], scope: Scope, period: Window, *, keep_all: bool = True
    ) -> Report:
        report = Report(period=period, today=today_in_china(), parties=parties, keep_all=keep_all)
        rules = await self.rules()
        bound = {r.code: r for p in _kinds(parties) for r in rules_for(p, rules)}
        starts = [w.start for r in bound.values() for w in windows(Period(r.period), period)]
        if not bound:
            return report
        held = await self.repository.held_days(
            scope, sorted({r.activity_type for r in bound.values()}), min(starts), period.end
        )
        ids = [p.id for p in parties]
        exemptions = await self.repository.exemptions(ids, min(starts), period.end)
        judge(report, list(bound.values()), held, exemptions)
        return report

    async def secretary_lectures(self, alliance_id: str, year: int) -> list[SecretaryLecture]:
        """Did every member organization's secretary lecture (党课) in the alliance this year?"""
        alliance = await self.alliance(alliance_id, lecture_day(year))
        return (await self.lectures_of([alliance], year))[alliance_id]

    async def lectures_of(
        self, alliances: list[reg.AllianceInfo], year: int
    ) -> dict[str, list[SecretaryLecture]]:
        """The lecture check of each alliance (members and secretaries as read on
        :func:`lecture_day`), the lectures of all of them in one query."""
        secretaries = {m.secretary.member_id for a in alliances for m in a.members if m.secretary}
        lectures = await self.repository.lectures_in(
            [a.id for a in alliances], sorted(secretaries), date(year, 1, 1), date(year, 12, 31)
        )
        given = Counter((alliance, member) for alliance, member, _activity, _day in lectures)
        return {
            a.id: [
                SecretaryLecture(
                    org_id=m.org_id,
                    org_name=m.org_name,
                    secretary_id=m.secretary.member_id if m.secretary else None,
                    secretary_name=m.secretary.name if m.secretary else None,
                    lectures=given.get((a.id, m.secretary.member_id), 0) if m.secretary else 0,
                )
                for m in a.members
            ]
            for a in alliances
        }


def party_of(alliance: reg.AllianceInfo) -> tuple[list[Party], Scope, str]:
    """An alliance as the one party of a report, its scope and its lead's path (authorization)."""
    party = Party(PartyKind.ALLIANCE, alliance.id, alliance.name, None)
    return [party], Scope(party_id=alliance.id), alliance.lead_path


def lecture_day(year: int) -> date:
    """The day whose members and secretaries a year's lecture check takes: the year's last day,
    or today while the year runs."""
    return min(date(year, 12, 31), today_in_china())


@dataclass(frozen=True)
class SecretaryLecture:
    org_id: str
    org_name: str
    secretary_id: str | None
    secretary_name: str | None
    lectures: int

    @property
    def met(self) -> bool:
        return self.lectures >= 1


def _kinds(parties: list[Party]) -> list[Party]:
    """One representative party per (kind, org kind): which rules bind the scope at all."""
    seen: dict[tuple[PartyKind, str | None], Party] = {}
    for p in parties:
        seen.setdefault((p.kind, p.org_kind), p)
    return list(seen.values())
