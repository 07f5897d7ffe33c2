"""Cycles, their state machine, results, manual scores, feedback and appeals."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response, status

from zhdj_assessment.explain import explain, explain_adjustment
from zhdj_assessment.routers.deps import Cycles, Id, Paging, Reader, Writer
from zhdj_assessment.schemas.cycles import (
    AppealAnswer,
    AppealCreate,
    AppealRead,
    CycleCreate,
    CycleRead,
    DimensionResultRead,
    IndicatorResultRead,
    ManualScore,
    RectificationRead,
    ResultRead,
    ResultsRead,
    ScoreChangeRead,
    TargetResultRead,
)
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

BASE = "/api/assessment"
router = APIRouter(prefix=BASE, tags=["cycles"])


@router.post(
    "/cycles",
    status_code=status.HTTP_201_CREATED,
    summary="A draft cycle (a year or a quarter) over a set of targets (assessors)",
    responses=problem_responses(403, 422),
)
async def create_cycle(
    body: CycleCreate, principal: Writer, service: Cycles, response: Response
) -> CycleRead:
    cycle = await service.create(principal, body)
    response.headers["Location"] = f"{BASE}/cycles/{cycle.id}"
    return CycleRead.of(cycle)


@router.get("/cycles", summary="Cycles (assessors: all; others: published ones)")
async def list_cycles(principal: Reader, service: Cycles, page: Paging) -> Page[CycleRead]:
    rows, next_cursor = await service.list_page(principal, page)
    return Page(items=[CycleRead.of(c) for c in rows], next_cursor=next_cursor)


@router.get("/cycles/{cycle_id}", summary="One cycle", responses=problem_responses(404))
async def get_cycle(cycle_id: Id, principal: Reader, service: Cycles) -> CycleRead:
    return CycleRead.of(await service.get(principal, cycle_id))


@router.post(
    "/cycles/{cycle_id}/open",
    summary="draft → open: resolve the targets in the registry and compute",
    responses=problem_responses(403, 404, 409, 422, 503),
)
async def open_cycle(cycle_id: Id, principal: Writer, service: Cycles) -> CycleRead:
    return CycleRead.of(await service.open(principal, cycle_id))


@router.post(
    "/cycles/{cycle_id}/recompute",
    summary="Read every metric again (an open cycle only); unreachable sources → unavailable",
    responses=problem_responses(403, 404, 409),
)
async def recompute_cycle(cycle_id: Id, principal: Writer, service: Cycles) -> CycleRead:
    return CycleRead.of(await service.recompute(principal, cycle_id))


@router.post(
    "/cycles/{cycle_id}/finalize",
    summary="open → finalized: frozen (every result must be complete)",
    responses=problem_responses(403, 404, 409),
)
async def finalize_cycle(cycle_id: Id, principal: Writer, service: Cycles) -> CycleRead:
    return CycleRead.of(await service.finalize(principal, cycle_id))


@router.post(
    "/cycles/{cycle_id}/publish",
    summary="finalized → published: targets see their results and may appeal",
    responses=problem_responses(403, 404, 409),
)
async def publish_cycle(cycle_id: Id, principal: Writer, service: Cycles) -> CycleRead:
    return CycleRead.of(await service.publish(principal, cycle_id))


@router.post(
    "/cycles/{cycle_id}/rectification",
    summary="Set the rectification list's alliances to 整顿中 in the registry (a published "
    "cycle; idempotent, retry the unavailable ones)",
    responses=problem_responses(403, 404, 409, 422),
)
async def apply_rectification(
    cycle_id: Id, principal: Writer, service: Cycles
) -> list[RectificationRead]:
    return [
        RectificationRead.of(t, outcome, detail)
        for t, outcome, detail in await service.apply_rectification(principal, cycle_id)
    ]


@router.get(
    "/cycles/{cycle_id}/results",
    summary="The ranking, rectification and incentive lists (assessors; once published, "
    "the organizations in scope)",
    responses=problem_responses(403, 404),
)
async def cycle_results(cycle_id: Id, principal: Reader, service: Cycles) -> ResultsRead:
    cycle, targets = await service.results(principal, cycle_id)
    return ResultsRead(
        cycle=CycleRead.of(cycle),
        items=[ResultRead.of(t) for t in targets],
        rectification=[t.target_id for t in targets if t.rectification],
        incentive=[t.target_id for t in targets if t.incentive],
    )


@router.get(
    "/cycles/{cycle_id}/targets/{target_id}",
    summary="One target's result with a per-indicator explanation (assessors; its own staff "
    "once published)",
    responses=problem_responses(403, 404),
)
async def target_result(
    cycle_id: Id, target_id: Id, principal: Reader, service: Cycles
) -> TargetResultRead:
    loaded, target, scores, appeals, changes = await service.target_result(
        principal, cycle_id, target_id
    )
    by_indicator = {s.indicator_id: s for s in scores}
    dimensions = []
    for dim in (i for i in loaded.indicators if i.parent_id is None):
        rows = [i for i in loaded.indicators if i.parent_id == dim.id]
        maximum = sum(i.max_score for i in rows)
        earned = sum((by_indicator[i.id].points or 0.0) for i in rows if i.id in by_indicator)
        dimensions.append(
            DimensionResultRead(
                code=dim.code,
                name=dim.name,
                weight=dim.weight,
                points=round(dim.weight * earned / maximum, 4) if maximum else 0.0,
                indicators=[
                    IndicatorResultRead.of(
                        i, by_indicator.get(i.id), explain(i, by_indicator.get(i.id))
                    )
                    for i in rows
                ],
            )
        )
    published = loaded.cycle.published_at
    return TargetResultRead(
        cycle=CycleRead.of(loaded.cycle),
        result=ResultRead.of(target),
        appeal_until=published + timedelta(days=loaded.system.appeal_days) if published else None,
        dimensions=dimensions,
        adjustment_explanation=explain_adjustment(target, loaded.system.alliance_adjustment),
        appeals=[AppealRead.of(a) for a in appeals],
        changes=[ScoreChangeRead.of(c) for c in changes],
    )


@router.put(
    "/cycles/{cycle_id}/targets/{target_id}/scores/{indicator_id}",
    summary="An assessor's score of a manual indicator, with its evidence (an open cycle)",
    responses=problem_responses(403, 404, 409, 422),
)
async def put_score(
    cycle_id: Id,
    target_id: Id,
    indicator_id: Id,
    body: ManualScore,
    principal: Writer,
    service: Cycles,
) -> IndicatorResultRead:
    indicator, row = await service.score(principal, cycle_id, target_id, indicator_id, body)
    return IndicatorResultRead.of(indicator, row, explain(indicator, row))


@router.post(
    "/cycles/{cycle_id}/targets/{target_id}/appeals",
    status_code=status.HTTP_201_CREATED,
    summary="The target's staff contest its published result (within the system's days)",
    responses=problem_responses(403, 404, 409, 422),
)
async def create_appeal(
    cycle_id: Id,
    target_id: Id,
    body: AppealCreate,
    principal: Writer,
    service: Cycles,
    response: Response,
) -> AppealRead:
    appeal = await service.appeal(principal, cycle_id, target_id, body)
    response.headers["Location"] = f"{BASE}/appeals/{appeal.id}"
    return AppealRead.of(appeal)


@router.get(
    "/cycles/{cycle_id}/appeals",
    summary="Every appeal of a cycle (assessors)",
    responses=problem_responses(403, 404),
)
async def list_appeals(
    cycle_id: Id, principal: Reader, service: Cycles, page: Paging
) -> Page[AppealRead]:
    rows, next_cursor = await service.appeals(principal, cycle_id, page)
    return Page(items=[AppealRead.of(a) for a in rows], next_cursor=next_cursor)


@router.post(
    "/appeals/{appeal_id}/answer",
    summary="An assessor answers; a new score is recorded as a change with the answer as reason",
    responses=problem_responses(403, 404, 409, 422),
)
async def answer_appeal(
    appeal_id: Id, body: AppealAnswer, principal: Writer, service: Cycles
) -> AppealRead:
    return AppealRead.of(await service.answer(principal, appeal_id, body))
