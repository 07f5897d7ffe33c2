"""Cycles: targets from the registry, automatic scores with evidence, manual scores, results
(total, grade, rank, rectification and incentive lists), the state machine, feedback, appeals.

draft → open (recompute any time) → finalized (frozen) → published; anything else is 409.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from zhdj_assessment import scoring
from zhdj_assessment.models import (
    Appeal,
    Cycle,
    CycleTarget,
    Indicator,
    IndicatorSystem,
    Score,
    ScoreChange,
)
from zhdj_assessment.repositories.cycles import CycleRepository
from zhdj_assessment.repositories.systems import SystemRepository
from zhdj_assessment.schemas.cycles import AppealAnswer, AppealCreate, CycleCreate, ManualScore
from zhdj_assessment.services.access import is_assessor, is_staff_of, require_assessor
from zhdj_assessment.sources import METRICS, Failure, Period, Reading, Sources, Target
from zhdj_assessment.vocabulary import (
    CYCLE_TRANSITIONS,
    GRADE_LABELS,
    AppealStatus,
    CycleStatus,
    Grade,
    IndicatorKind,
    ScoreStatus,
    TargetKind,
)
from zhdj_shared.batch import chunks
from zhdj_shared.db import utcnow
from zhdj_shared.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
)
from zhdj_shared.pagination import PageParams
from zhdj_shared.registry_client import ALLIANCE_LOOKUPS, segment
from zhdj_shared.security.authz import Principal

PAGE = 200


def invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, errors=[FieldError(field=field, message=message)])


def _path(ancestry: list[str]) -> str:
    return "/".join(ancestry) + "/"


@dataclass
class Loaded:
    cycle: Cycle
    system: IndicatorSystem
    indicators: list[Indicator]

    @property
    def leaves(self) -> list[Indicator]:
        return [i for i in self.indicators if i.parent_id is not None]


class CycleService:
    def __init__(
        self,
        repository: CycleRepository,
        systems: SystemRepository,
        sources: Sources,
        *,
        concurrency: int = 8,
    ) -> None:
        self.repository = repository
        self.systems = systems
        self.sources = sources
        self.concurrency = concurrency

    # --- reading ------------------------------------------------------------------------------

    async def load(self, cycle_id: str) -> Loaded:
        cycle = await self.repository.get(cycle_id)
        if cycle is None:
            raise NotFound(f"cycle {cycle_id} does not exist")
        system = await self.systems.get(cycle.system_id)
        assert system is not None  # a foreign key
        return Loaded(cycle, system, await self.systems.indicators(system.id))

    async def list_page(
        self, principal: Principal, page: PageParams
    ) -> tuple[list[Cycle], str | None]:
        statuses = None if is_assessor(principal) else [CycleStatus.PUBLISHED.value]
        return await self.repository.list_page(statuses, page.limit, page.cursor)

    async def get(self, principal: Principal, cycle_id: str) -> Cycle:
        loaded = await self.load(cycle_id)
        if not is_assessor(principal) and loaded.cycle.status != CycleStatus.PUBLISHED:
            raise NotFound(f"cycle {cycle_id} does not exist")
        return loaded.cycle

    async def results(self, principal: Principal, cycle_id: str) -> tuple[Cycle, list[CycleTarget]]:
        """The ranking: assessors at any time; once published, staff of any target in scope."""
        cycle = await self.get(principal, cycle_id)
        targets = await self.repository.targets(cycle_id)
        if not is_assessor(principal) and not any(is_staff_of(principal, t.path) for t in targets):
            raise Forbidden("only the organizations in the cycle's scope see its ranking")
        targets.sort(key=lambda t: (t.rank is None, t.rank or 0, t.target_id))
        return cycle, targets

    async def target_result(
        self, principal: Principal, cycle_id: str, target_id: str
    ) -> tuple[Loaded, CycleTarget, list[Score], list[Appeal], list[ScoreChange]]:
        """One target's detailed result: assessors, or its own staff once published."""
        loaded = await self.load(cycle_id)
        target = await self.repository.target(cycle_id, target_id)
        if not is_assessor(principal):
            if target is None or not is_staff_of(principal, target.path):
                raise Forbidden("you see only your own organization's result")
            if loaded.cycle.status != CycleStatus.PUBLISHED:
                raise Forbidden("the result is not published yet")
        if target is None:
            raise NotFound(f"{target_id} is not a target of cycle {cycle_id}")
        return (
            loaded,
            target,
            await self.repository.scores(cycle_id, target_id),
            await self.repository.appeals(cycle_id, target_id),
            await self.repository.changes(cycle_id, target_id),
        )

    # --- the state machine --------------------------------------------------------------------

    async def create(self, principal: Principal, data: CycleCreate) -> Cycle:
        require_assessor(principal)
        system = await self.systems.get(data.system_id)
        if system is None or not system.active:
            raise invalid("system_id", f"no active indicator system {data.system_id}")
        if system.target_kind == TargetKind.ORG and not (data.org_kinds or data.target_ids):
            raise invalid("org_kinds", "organization targets need org_kinds or target_ids")
        cycle = Cycle(
            name=data.name,
            system_id=system.id,
            year=data.year,
            quarter=data.quarter,
            target_kind=system.target_kind,
            within=data.within,
            org_kinds=data.org_kinds,
            target_ids=data.target_ids,
            status=CycleStatus.DRAFT.value,
            created_by=principal.subject,
        )
        await self.repository.add(cycle)
        return cycle

    def _move(self, cycle: Cycle, to: CycleStatus) -> None:
        if CYCLE_TRANSITIONS.get(CycleStatus(cycle.status)) != to:
            raise Conflict(f"a {cycle.status} cycle cannot become {to.value}")
        cycle.status = to.value

    async def open(self, principal: Principal, cycle_id: str) -> Cycle:
        """Resolves the targets from the registry and computes a first time."""
        require_assessor(principal)
        loaded = await self.load(cycle_id)
        self._move(loaded.cycle, CycleStatus.OPEN)
        for target in await self._resolve_targets(loaded.cycle):
            await self.repository.add(target)
        await self._recompute(loaded)
        return loaded.cycle

    async def recompute(self, principal: Principal, cycle_id: str) -> Cycle:
        require_assessor(principal)
        loaded = await self.load(cycle_id)
        if loaded.cycle.status != CycleStatus.OPEN:
            raise Conflict(f"a {loaded.cycle.status} cycle is not recomputed (only an open one)")
        await self._recompute(loaded)
        return loaded.cycle

    async def finalize(self, principal: Principal, cycle_id: str) -> Cycle:
        require_assessor(principal)
        loaded = await self.load(cycle_id)
        self._move(loaded.cycle, CycleStatus.FINALIZED)
        incomplete = [
            t.target_id for t in await self.repository.targets(cycle_id) if not t.complete
        ]
        if incomplete:
            raise Conflict(
                f"{len(incomplete)} results are incomplete (unavailable sources or unscored "
                f"manual indicators): {', '.join(incomplete[:10])}; recompute or score them first"
            )
        loaded.cycle.finalized_at = utcnow()
        await self.repository.flush()
        return loaded.cycle

    async def publish(self, principal: Principal, cycle_id: str) -> Cycle:
        require_assessor(principal)
        loaded = await self.load(cycle_id)
        self._move(loaded.cycle, CycleStatus.PUBLISHED)
        loaded.cycle.published_at = utcnow()
        await self.repository.flush()
        return loaded.cycle

    # --- targets ------------------------------------------------------------------------------

    async def _resolve_targets(self, cycle: Cycle) -> list[CycleTarget]:
        """The cycle's targets with their paths: alliances and their leads' ancestries from the
        registry's lookups (one call per 200), organizations from list pages or one lookup per
        200 (their ancestry comes with them)."""
        registry = self.sources.registry
        found: list[CycleTarget] = []
        if cycle.target_kind == TargetKind.ALLIANCE:
            if cycle.target_ids:
                ids = list(cycle.target_ids)
            else:
                params = {"within": cycle.within} if cycle.within else {}
                ids = [a["id"] for a in await self._all_pages("/api/registry/alliances", params)]
            looked_up = await self._alliance_lookups(ids)
            for alliance_id in ids:
                if alliance_id not in looked_up:
                    raise invalid("target_ids", f"no alliance {alliance_id}")
                item = looked_up[alliance_id]
                a = item["alliance"]
                if a["status"] == "dissolved":
                    continue
                if not item["lead_ancestry"]:
                    raise ServiceUnavailable(f"the registry lost organization {a['lead_org_id']}")
                found.append(
                    CycleTarget(
                        cycle_id=cycle.id,
                        target_id=a["id"],
                        target_kind=TargetKind.ALLIANCE.value,
                        name=a["name"],
                        path=_path([str(i) for i in item["lead_ancestry"]]),
                        lead_org_id=a["lead_org_id"],
                    )
                )
            return found
        orgs: list[dict[str, Any]] = []
        if cycle.target_ids:
            known = await registry.organizations_by_id(list(cycle.target_ids))
            for org_id in cycle.target_ids:
                if org_id not in known:
                    raise invalid("target_ids", f"no organization {org_id}")
                orgs.append(known[org_id])
        else:
            for kind in cycle.org_kinds:
                params = {"kind": kind, **({"within": cycle.within} if cycle.within else {})}
                orgs += await self._all_pages("/api/registry/organizations", params)
        for o in orgs:
            found.append(
                CycleTarget(
                    cycle_id=cycle.id,
                    target_id=o["id"],
                    target_kind=TargetKind.ORG.value,
                    name=o["name"],
                    path=_path([*o["ancestor_ids"], o["id"]]),
                )
            )
        return found

    async def _alliance_lookups(self, alliance_ids: list[str]) -> dict[str, dict[str, Any]]:
        """``POST /lookups/alliances`` items by alliance id (members on today), one call per
        200; unknown ids are left out."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(alliance_ids):
            body = await self.sources.registry.post_json(ALLIANCE_LOOKUPS, {"ids": chunk})
            found.update({str(i["alliance"]["id"]): i for i in body["items"]})
        return found

    async def _all_pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            body = await self.sources.registry.get_json(path, query)
            if body is None:
                raise invalid("within", f"the registry does not know {params}")
            items += body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return items

    # --- computing ----------------------------------------------------------------------------

    async def _read_all(
        self, targets: list[CycleTarget], needed: set[str], period: Period
    ) -> dict[tuple[str, str], Reading | Failure]:
        """Every (target, source) outcome: per source one batch call per 100 targets, at most
        ``concurrency`` calls in flight over all sources."""
        gate = asyncio.Semaphore(self.concurrency)
        specs = [Target(t.target_id, TargetKind(t.target_kind), t.lead_org_id) for t in targets]
        sources = sorted(needed)
        read = await asyncio.gather(
            *(self.sources.read_many(source, specs, period, gate) for source in sources)
        )
        return {
            (target_id, source): outcome
            for source, outcomes in zip(sources, read, strict=True)
            for target_id, outcome in outcomes.items()
        }

    async def _recompute(self, loaded: Loaded) -> None:
        cycle, leaves = loaded.cycle, loaded.leaves
        autos = [i for i in leaves if i.kind == IndicatorKind.AUTO and i.metric]
        needed = {METRICS[i.metric].source for i in autos if i.metric}
        targets = await self.repository.targets(cycle.id)
        readings = await self._read_all(targets, needed, Period(cycle.year, cycle.quarter))
        existing = {
            (s.target_id, s.indicator_id): s for s in await self.repository.scores(cycle.id)
        }
        new_rows: list[Score] = []
        for target in targets:
            target.unavailable_sources = sorted(
                s for s in needed if isinstance(readings[(target.target_id, s)], Failure)
            )
            for indicator in leaves:
                key = (target.target_id, indicator.id)
                row = existing.get(key)
                if indicator.kind == IndicatorKind.MANUAL:
                    if row is None:
                        new_rows.append(_pending(cycle.id, target.target_id, indicator.id))
                    continue
                assert indicator.metric is not None
                got = readings[(target.target_id, METRICS[indicator.metric].source)]
                fresh = _auto_score(cycle.id, target.target_id, indicator, got)
                if row is None:
                    new_rows.append(fresh)
                else:
                    for name in ("status", "value", "fraction", "points", "evidence", "scored_at"):
                        setattr(row, name, getattr(fresh, name))
        if new_rows:
            await self.repository.add_all(new_rows)
        if cycle.target_kind == TargetKind.ORG and loaded.system.alliance_adjustment:
            await self._alliance_basis(cycle, loaded.system.alliance_adjustment, targets)
        cycle.computed_at = utcnow()
        await self._results(loaded, targets)

    async def _alliance_basis(
        self, cycle: Cycle, table: dict[str, float], targets: list[CycleTarget]
    ) -> None:
        """Each organization target's alliances with a published result of the same period
        (read from the registry: its current memberships), stored as the adjustment's basis.
        The registry down: the basis is None and the result incomplete, never unadjusted."""
        published = await self.repository.published_alliance_results(cycle.year, cycle.quarter)
        if not published:
            for target in targets:
                target.adjustment_basis = []
            return
        memberships = await self._current_memberships(sorted(published))
        for target in targets:
            if memberships is None:
                target.adjustment_basis = None
                target.unavailable_sources = sorted({*target.unavailable_sources, "registry"})
                continue
            alliance_ids = memberships.get(target.target_id, set())
            basis = []
            for alliance_id in sorted(alliance_ids):
                if alliance_id not in published:
                    continue
                source_cycle, result = published[alliance_id]
                basis.append(
                    {
                        "alliance_id": alliance_id,
                        "name": result.name,
                        "cycle_id": source_cycle.id,
                        "grade": result.grade,
                        "total": result.total,
                        "points": float(table.get(result.grade or "", 0.0)),
                    }
                )
            target.adjustment_basis = basis

    async def _current_memberships(self, alliance_ids: list[str]) -> dict[str, set[str]] | None:
        """The alliances among ``alliance_ids`` each organization is a member of today, from
        the alliances' current members (one lookup per 200 alliances, not one list call per
        organization); ``None`` when the registry cannot be read (then no basis is known)."""
        try:
            looked_up = await self._alliance_lookups(alliance_ids)
        except ServiceUnavailable:
            return None
        found: dict[str, set[str]] = {}
        for alliance_id, item in looked_up.items():
            for member in item["members"]:
                found.setdefault(str(member["org_id"]), set()).add(alliance_id)
        return found

    async def results_from_scores(self, loaded: Loaded, targets: list[CycleTarget]) -> None:
        """Totals, grades, ranks and lists of stored scores (the demo loader's way in)."""
        await self._results(loaded, targets)

    async def _results(self, loaded: Loaded, targets: list[CycleTarget] | None = None) -> None:
        """Totals, grades, ranks and lists from the stored scores (no source is read)."""
        cycle, system = loaded.cycle, loaded.system
        if targets is None:
            targets = await self.repository.targets(cycle.id)
        weights = {i.id: i.weight for i in loaded.indicators if i.parent_id is None}
        leaves = loaded.leaves
        scores: dict[tuple[str, str], Score] = {
            (s.target_id, s.indicator_id): s for s in await self.repository.scores(cycle.id)
        }
        table = system.alliance_adjustment if cycle.target_kind == TargetKind.ORG else None
        maximum = sum(weights.values())
        totals: dict[str, float] = {}
        for target in targets:
            result = scoring.total(
                weights,
                [_leaf(i, scores.get((target.target_id, i.id))) for i in leaves],
                system.veto_cap,
            )
            target.total, target.known_points = result.total, result.known_points
            target.complete, target.vetoed = result.complete, result.vetoed
            target.base_total = target.adjustment = None
            if table is not None:
                if target.adjustment_basis is None:
                    target.complete, target.total = False, None
                elif result.total is not None:
                    target.adjustment = scoring.alliance_adjustment(
                        [b["grade"] for b in target.adjustment_basis], table
                    )
                    target.base_total = result.total
                    target.total = scoring.adjusted_total(
                        result.known_points,
                        target.adjustment,
                        maximum,
                        result.vetoed,
                        system.veto_cap,
                    )
            result_total = target.total
            target.grade = None
            target.rank = None
            target.rectification = target.incentive = False
            if result_total is not None:
                totals[target.target_id] = result_total
                target.grade = scoring.grade(result_total, system.grade_bands).value
                target.rectification = scoring.on_rectification(
                    result_total, result.vetoed, system.rectification_below
                )
        ranks = scoring.competition_ranks(totals)
        cutoff = scoring.incentive_cutoff(len(totals), system.incentive_share)
        for target in targets:
            target.rank = ranks.get(target.target_id)
            target.incentive = (
                target.rank is not None and target.rank <= cutoff and not target.vetoed
            )
        await self.repository.flush()

    # --- manual scores ------------------------------------------------------------------------

    async def score(
        self,
        principal: Principal,
        cycle_id: str,
        target_id: str,
        indicator_id: str,
        data: ManualScore,
    ) -> tuple[Indicator, Score]:
        require_assessor(principal)
        loaded = await self.load(cycle_id)
        if loaded.cycle.status != CycleStatus.OPEN:
            raise Conflict(f"a {loaded.cycle.status} cycle takes no scores (only an open one)")
        if await self.repository.target(cycle_id, target_id) is None:
            raise NotFound(f"{target_id} is not a target of cycle {cycle_id}")
        indicator = _indicator(loaded, indicator_id)
        if indicator.kind != IndicatorKind.MANUAL:
            raise invalid("indicator_id", "only manual indicators are scored by hand")
        if data.score > indicator.max_score:
            raise invalid("score", f"at most {indicator.max_score:g} points")
        row = next(
            (
                s
                for s in await self.repository.scores(cycle_id, target_id)
                if s.indicator_id == indicator.id
            ),
            None,
        )
        if row is None:
            row = _pending(cycle_id, target_id, indicator.id)
            await self.repository.add(row)
        row.status = ScoreStatus.SCORED.value
        row.value = data.score
        row.fraction = round(data.score / indicator.max_score, 6)
        row.points = data.score
        row.evidence = {"note": data.note, "attachments": list(data.attachments)}
        row.scored_by = principal.subject
        row.scored_at = utcnow()
        await self._results(loaded)
        return indicator, row

    # --- appeals ------------------------------------------------------------------------------

    async def appeal(
        self, principal: Principal, cycle_id: str, target_id: str, data: AppealCreate
    ) -> Appeal:
        loaded, target, *_ = await self.target_result(principal, cycle_id, target_id)
        if not is_staff_of(principal, target.path):
            raise Forbidden("only the target's own staff appeal its result")
        cycle = loaded.cycle
        if cycle.status != CycleStatus.PUBLISHED or cycle.published_at is None:
            raise Conflict("only a published result is appealed")
        if utcnow() > cycle.published_at + timedelta(days=loaded.system.appeal_days):
            raise Conflict(f"appeals close {loaded.system.appeal_days} days after publication")
        if data.indicator_id is not None:
            _indicator(loaded, data.indicator_id)
        appeal = Appeal(
            cycle_id=cycle_id,
            target_id=target_id,
            indicator_id=data.indicator_id,
            reason=data.reason,
            status=AppealStatus.OPEN.value,
            created_by=principal.subject,
        )
        await self.repository.add(appeal)
        return appeal

    async def appeals(
        self, principal: Principal, cycle_id: str, page: PageParams
    ) -> tuple[list[Appeal], str | None]:
        require_assessor(principal)
        await self.load(cycle_id)
        return await self.repository.appeals_page(cycle_id, page.limit, page.cursor)

    async def answer(self, principal: Principal, appeal_id: str, data: AppealAnswer) -> Appeal:
        """The assessor's answer; a new score is recorded as a change with the answer as reason."""
        require_assessor(principal)
        appeal = await self.repository.appeal(appeal_id)
        if appeal is None:
            raise NotFound(f"appeal {appeal_id} does not exist")
        if appeal.status != AppealStatus.OPEN:
            raise Conflict("the appeal is already answered")
        loaded = await self.load(appeal.cycle_id)
        if data.new_score is not None:
            if appeal.indicator_id is None:
                raise invalid("new_score", "the appeal names no indicator to change")
            indicator = _indicator(loaded, appeal.indicator_id)
            if data.new_score > indicator.max_score:
                raise invalid("new_score", f"at most {indicator.max_score:g} points")
            row = next(
                s
                for s in await self.repository.scores(appeal.cycle_id, appeal.target_id)
                if s.indicator_id == indicator.id
            )
            await self.repository.add(
                ScoreChange(
                    cycle_id=appeal.cycle_id,
                    target_id=appeal.target_id,
                    indicator_id=indicator.id,
                    appeal_id=appeal.id,
                    old_points=row.points,
                    new_points=data.new_score,
                    reason=data.answer,
                    changed_by=principal.subject,
                )
            )
            row.status = ScoreStatus.SCORED.value
            row.points = data.new_score
            row.fraction = round(data.new_score / indicator.max_score, 6)
            row.evidence = {**row.evidence, "changed_by_appeal": appeal.id}
            await self._results(loaded)
        appeal.status = AppealStatus.ANSWERED.value
        appeal.answer = data.answer
        appeal.answered_by = principal.subject
        appeal.answered_at = utcnow()
        await self.repository.flush()
        return appeal

    # --- rectification in the registry -------------------------------------------------------

    async def apply_rectification(
        self, principal: Principal, cycle_id: str
    ) -> list[tuple[CycleTarget, str, str]]:
        """Sets each alliance on a published cycle's rectification list to 整顿中 in the registry
        (with the service's credentials). Idempotent and retryable: an alliance already set, or
        already under rectification, is left alone; one the registry cannot take now is
        ``unavailable`` and is set by the next call. Returns (target, outcome, detail)."""
        require_assessor(principal)
        loaded = await self.load(cycle_id)
        cycle = loaded.cycle
        if cycle.status != CycleStatus.PUBLISHED:
            raise Conflict("only a published cycle's rectification list is applied")
        if cycle.target_kind != TargetKind.ALLIANCE:
            raise invalid("cycle_id", "only alliances have a status in the registry")
        outcomes: list[tuple[CycleTarget, str, str]] = []
        for target in await self.repository.targets(cycle_id):
            if not target.rectification:
                continue
            if target.registry_status is not None:
                outcomes.append((target, "already_set", target.registry_status))
                continue
            outcome, detail = await self._set_rectification(cycle, target)
            if outcome in ("set", "already_under_rectification"):
                target.registry_status = RECTIFICATION_STATUS
                target.registry_status_at = utcnow()
            outcomes.append((target, outcome, detail))
        await self.repository.flush()
        return outcomes

    async def _set_rectification(self, cycle: Cycle, target: CycleTarget) -> tuple[str, str]:
        registry = self.sources.registry
        path = f"/api/registry/alliances/{segment(target.target_id)}"
        try:
            current = await registry.get_json(path)
            if current is None:
                return "unknown", "the registry does not know this alliance"
            if current["status"] == RECTIFICATION_STATUS:
                return "already_under_rectification", current.get("status_reason") or ""
            if current["status"] != "active":
                return "skipped", f"the alliance is {current['status']}"
            reason = _rectification_reason(cycle, target)
            response = await registry.http.post(
                f"{path}/status", json={"status": RECTIFICATION_STATUS, "reason": reason}
            )
        except ServiceUnavailable as exc:
            return "unavailable", exc.detail or "the registry cannot be reached"
        if response.status_code == 200:
            return "set", reason
        return "unavailable", f"the registry answered {response.status_code}"


RECTIFICATION_STATUS = "under_rectification"


def _rectification_reason(cycle: Cycle, target: CycleTarget) -> str:
    total = f"{target.total:g}" if target.total is not None else "-"
    label = GRADE_LABELS[Grade(target.grade)] if target.grade else ""
    veto = "，一票否决" if target.vetoed else ""
    return f"“{cycle.name}”结果：{total} 分（{label}）{veto}，列入规范整顿"


def _indicator(loaded: Loaded, indicator_id: str) -> Indicator:
    for i in loaded.leaves:
        if i.id == indicator_id:
            return i
    raise NotFound(f"indicator {indicator_id} is not in the cycle's system")


def _pending(cycle_id: str, target_id: str, indicator_id: str) -> Score:
    return Score(
        cycle_id=cycle_id,
        target_id=target_id,
        indicator_id=indicator_id,
        status=ScoreStatus.PENDING.value,
    )


def _auto_score(
    cycle_id: str, target_id: str, indicator: Indicator, got: Reading | Failure
) -> Score:
    assert indicator.metric is not None
    assert indicator.method is not None
    row = Score(cycle_id=cycle_id, target_id=target_id, indicator_id=indicator.id, status="")
    if isinstance(got, Failure):
        row.status = ScoreStatus.UNAVAILABLE.value
        row.evidence = {
            "metric": indicator.metric,
            "source": got.source,
            "error": got.error,
            "tried_at": got.tried_at.isoformat(),
        }
        return row
    value = got.values.get(indicator.metric)
    row.evidence = got.evidence(indicator.metric)
    row.scored_at = got.read_at
    row.value = value
    if value is None:
        row.status, row.fraction, row.points = ScoreStatus.NO_DATA.value, 0.0, 0.0
        return row
    row.status = ScoreStatus.SCORED.value
    row.fraction = round(scoring.fraction(indicator.method, indicator.params, value), 6)
    row.points = scoring.points(row.fraction, indicator.max_score)
    return row


def _leaf(indicator: Indicator, score: Score | None) -> scoring.LeafScore:
    assert indicator.parent_id is not None
    return scoring.LeafScore(
        indicator_id=indicator.id,
        dimension_id=indicator.parent_id,
        max_score=indicator.max_score,
        status=score.status if score else ScoreStatus.PENDING.value,
        fraction=score.fraction if score else None,
        veto=indicator.veto,
        veto_below=indicator.veto_below,
    )
