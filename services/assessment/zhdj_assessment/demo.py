"""Demo data: a finished, published cycle for last year and an open one for this year over the
demo city's alliances, on the default 融合党建工作标准体系.

The loader must not call the other services at startup (they may not be up), so every score is
built from stored, plausible evidence marked ``"demo": true`` (values, the source and path it
would have been read from, when); results (totals, grades, ranks, lists) are then computed by the
same rules as a real cycle. The alliances mirror the registry demo's fixed ids, names and lead
organizations' ancestry. Idempotent: nothing happens when the demo cycles are there.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any, cast

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_assessment import scoring
from zhdj_assessment.defaults import DEFAULT_SYSTEM_ID
from zhdj_assessment.models import Cycle, CycleTarget, Indicator, Score
from zhdj_assessment.repositories.cycles import CycleRepository
from zhdj_assessment.repositories.systems import SystemRepository
from zhdj_assessment.services.cycles import CycleService, Loaded
from zhdj_assessment.sources import METRICS, Period, Sources
from zhdj_assessment.vocabulary import CycleStatus, IndicatorKind, ScoreStatus, TargetKind
from zhdj_shared.clock import CHINA_TZ, today_in_china

DEMO_BY = "demo"
# (id, name, the lead organization's ancestry) as in the registry's demo city
ALLIANCES: list[tuple[str, str, str]] = [
    ("demo-a-chaoyang-hnd", "朝阳街道“红纽带”党建联合体", "demo-d-xinhua/demo-s-xinhua-chaoyang"),
    ("demo-a-park-xinhua", "新华高新区“四链”融合党建联合体", "demo-d-xinhua/demo-park-xinhua"),
    ("demo-a-agri-industry", "示范市农业产业联合党组织", "demo-d-qinghe/demo-e-agri"),
    ("demo-a-liulin-villages", "柳林镇村村联建党建联合体", "demo-d-qinghe/demo-t-qinghe-liulin"),
    (
        "demo-a-hekou-village-firm",
        "河口镇村企机关联建党建联合体",
        "demo-d-qinghe/demo-t-qinghe-hekou",
    ),
    ("demo-a-heping-central", "和平街道中心社区党建联合体", "demo-d-xinhua/demo-s-xinhua-heping"),
    (
        "demo-a-dongfeng-street",
        "东风街道红色商街党建联合体",
        "demo-d-dongcheng/demo-s-dongcheng-dongfeng",
    ),
    ("demo-a-dongcheng-online", "东城区智慧党建线上融合联合体", "demo-d-dongcheng"),
    (
        "demo-a-jianshe-area",
        "建设街道片区党组织联建体",
        "demo-d-dongcheng/demo-s-dongcheng-jianshe",
    ),
    ("demo-a-social-orgs", "新华区社会组织行业领建联合体", "demo-d-xinhua/demo-so-xinhua"),
    (
        "demo-a-jinglun-lead",
        "精纶纺织龙头带建党建联合体",
        "demo-d-xinhua/demo-park-xinhua/demo-e-jinglun",
    ),
    ("demo-a-xinhua-streets", "新华区街道强强联合党建联合体", "demo-d-xinhua"),
    (
        "demo-a-yangguang-help",
        "阳光社区以强带弱党建联合体",
        "demo-d-xinhua/demo-s-xinhua-chaoyang/demo-s-xinhua-chaoyang-c1",
    ),
    ("demo-a-heping-project", "和平街道项目促建联合体", "demo-d-xinhua/demo-s-xinhua-heping"),
]
# How well each alliance does (a share of full marks, with noise); default 0.85.
QUALITY = {
    "demo-a-chaoyang-hnd": 0.97,
    "demo-a-park-xinhua": 0.93,
    "demo-a-liulin-villages": 0.9,
    "demo-a-hekou-village-firm": 0.62,
    "demo-a-dongcheng-online": 0.55,
}
VETOED_LAST_YEAR = "demo-a-dongcheng-online"  # failed the veto last year: on rectification
PENDING_THIS_YEAR = ("demo-a-jianshe-area", "demo-a-social-orgs")  # manual scores not yet given


def _value(metric: str, quality: float, rng: random.Random) -> float:
    """A plausible figure for ``metric`` of an alliance doing ``quality`` well."""
    q = max(0.0, min(1.0, quality + rng.uniform(-0.08, 0.05)))
    if metric == "registry.member_orgs":
        return float(round(3 + 15 * q))
    if metric == "registry.demonstration_site":
        return 1.0 if q > 0.9 else 0.0
    if metric == "activity.activities":
        return float(round(40 * q))
    if metric == "activity.volunteer_person_times":
        return float(round(400 * q))
    return round(0.5 + 0.5 * q, 4)  # rates


def _evidence(metric: str, value: float, period: Period, read_at: datetime) -> dict[str, Any]:
    return {
        "metric": metric,
        "value": value,
        "source": METRICS[metric].source,
        "path": f"/api/{METRICS[metric].source}/statistics",
        "params": {"period": period.code},
        "read_at": read_at.isoformat(),
        "demo": True,
    }


def _score(
    cycle: Cycle,
    alliance_id: str,
    indicator: Indicator,
    quality: float,
    rng: random.Random,
    *,
    at: datetime,
    vetoed: bool,
    pending: bool,
) -> Score:
    row = Score(
        cycle_id=cycle.id, target_id=alliance_id, indicator_id=indicator.id, status="", scored_at=at
    )
    period = Period(cycle.year, cycle.quarter)
    if indicator.kind == IndicatorKind.AUTO and indicator.metric and indicator.method:
        value = _value(indicator.metric, quality, rng)
        row.status, row.value = ScoreStatus.SCORED.value, value
        row.fraction = round(scoring.fraction(indicator.method, indicator.params, value), 6)
        row.points = scoring.points(row.fraction, indicator.max_score)
        row.evidence = _evidence(indicator.metric, value, period, at)
        return row
    if pending:
        row.status = ScoreStatus.PENDING.value
        return row
    if indicator.veto:
        fraction = 0.0 if vetoed else 1.0
    else:
        fraction = max(0.0, min(1.0, quality + rng.uniform(-0.1, 0.05)))
    points = round(fraction * indicator.max_score, 1)
    row.status, row.value, row.points = ScoreStatus.SCORED.value, points, points
    row.fraction = round(points / indicator.max_score, 6)
    row.scored_by = "demo-assessor"
    row.evidence = {
        "note": "演示数据：考核组现场查阅台账、走访群众"
        + ("，发现违反一票否决事项" if indicator.veto and vetoed else ""),
        "attachments": [],
        "demo": True,
    }
    return row


async def load_demo(session: AsyncSession) -> int:
    """Add the two demo cycles once (idempotent); returns how many cycles were added."""
    query = select(func.count(col(Cycle.id))).where(col(Cycle.created_by) == DEMO_BY)
    if (await session.exec(query)).one() > 0:
        return 0
    systems = SystemRepository(session)
    system = await systems.get(DEFAULT_SYSTEM_ID)
    if system is None:
        return 0
    indicators = await systems.indicators(system.id)
    repository = CycleRepository(session)
    # Results are computed from the stored scores only: no source is read.
    service = CycleService(repository, systems, cast(Sources, None))
    today = today_in_china()
    rng = random.Random(20251231)  # noqa: S311 - demo data, not secrets
    for year, status in (
        (today.year - 1, CycleStatus.PUBLISHED),
        (today.year, CycleStatus.OPEN),
    ):
        finished = status == CycleStatus.PUBLISHED
        # Last year's cycle was published around 20 January, and never after today (a start in
        # early January would otherwise show a publication date in the future).
        published_day = min(today.replace(month=1, day=20), today - timedelta(days=2))
        at = datetime.combine(published_day if finished else today, time(9), CHINA_TZ)
        cycle = Cycle(
            name=f"{year} 年度融合党建工作考核（演示）",
            system_id=system.id,
            year=year,
            target_kind=TargetKind.ALLIANCE.value,
            status=status.value,
            created_by=DEMO_BY,
            created_at=at - timedelta(days=5),
            computed_at=at,
            finalized_at=at + timedelta(days=1) if finished else None,
            published_at=at + timedelta(days=2) if finished else None,
        )
        await repository.add(cycle)
        targets = [
            CycleTarget(
                cycle_id=cycle.id,
                target_id=alliance_id,
                target_kind=TargetKind.ALLIANCE.value,
                name=name,
                path=f"demo-city/{ancestry}/",
                lead_org_id=ancestry.rsplit("/", 1)[-1],
            )
            for alliance_id, name, ancestry in ALLIANCES
        ]
        await repository.add_all(targets)
        scores = [
            _score(
                cycle,
                target.target_id,
                indicator,
                QUALITY.get(target.target_id, 0.85),
                rng,
                at=at,
                vetoed=finished and target.target_id == VETOED_LAST_YEAR,
                pending=not finished and target.target_id in PENDING_THIS_YEAR,
            )
            for target in targets
            for indicator in indicators
            if indicator.parent_id is not None
        ]
        await repository.add_all(scores)
        await service._results(Loaded(cycle, system, indicators), targets)
    return 2
