"""API shapes of cycles, results, manual scores, appeals and score changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from zhdj_assessment.models import Appeal, Cycle, CycleTarget, Indicator, Score, ScoreChange
from zhdj_assessment.schemas.common import Reason, RowId, Strict, Title
from zhdj_assessment.sources import Period
from zhdj_assessment.vocabulary import (
    GRADE_LABELS,
    AppealStatus,
    CycleStatus,
    Grade,
    IndicatorKind,
    ScoreStatus,
    TargetKind,
)

CYCLE_STATUS_LABELS: dict[CycleStatus, str] = {
    CycleStatus.DRAFT: "草稿",
    CycleStatus.OPEN: "考核中",
    CycleStatus.FINALIZED: "已定稿",
    CycleStatus.PUBLISHED: "已发布",
}


class CycleCreate(Strict):
    name: Title
    system_id: RowId
    year: int = Field(ge=2000, le=2100)
    quarter: int | None = Field(default=None, ge=1, le=4, description="Omit for a year")
    within: RowId | None = Field(default=None, description="A subtree; omitted: the whole city")
    org_kinds: list[RowId] = Field(
        default_factory=list, max_length=20, description="Organization targets: these kinds"
    )
    target_ids: list[RowId] = Field(
        default_factory=list, max_length=1000, description="Only these targets (optional)"
    )

    @model_validator(mode="after")
    def _distinct(self) -> CycleCreate:
        if len(set(self.target_ids)) != len(self.target_ids):
            raise ValueError("target_ids repeat")
        return self


class CycleRead(BaseModel):
    id: str
    name: str
    system_id: str
    year: int
    quarter: int | None
    period: str
    target_kind: TargetKind
    within: str | None
    org_kinds: list[str]
    target_ids: list[str]
    status: CycleStatus
    status_label: str
    created_by: str
    created_at: datetime
    computed_at: datetime | None
    finalized_at: datetime | None
    published_at: datetime | None

    @classmethod
    def of(cls, cycle: Cycle) -> CycleRead:
        status = CycleStatus(cycle.status)
        return cls(
            id=cycle.id,
            name=cycle.name,
            system_id=cycle.system_id,
            year=cycle.year,
            quarter=cycle.quarter,
            period=Period(cycle.year, cycle.quarter).code,
            target_kind=TargetKind(cycle.target_kind),
            within=cycle.within,
            org_kinds=cycle.org_kinds,
            target_ids=cycle.target_ids,
            status=status,
            status_label=CYCLE_STATUS_LABELS[status],
            created_by=cycle.created_by,
            created_at=cycle.created_at,
            computed_at=cycle.computed_at,
            finalized_at=cycle.finalized_at,
            published_at=cycle.published_at,
        )


class ResultRead(BaseModel):
    target_id: str
    target_kind: TargetKind
    name: str
    status: str = Field(description="complete | incomplete (unavailable or unscored indicators)")
    total: float | None = Field(description="None while incomplete")
    base_total: float | None = Field(
        description="Organizations with an alliance adjustment: the total before it"
    )
    adjustment: float | None = Field(
        description="Points added (negative: taken) by the alliances' grades; None: none apply"
    )
    adjustment_basis: list[dict[str, Any]] | None = Field(
        description="The alliances' published results the adjustment came from"
    )
    known_points: float = Field(description="Points the known indicators already earn")
    vetoed: bool
    grade: Grade | None
    grade_label: str | None
    rank: int | None = Field(description="Competition ranking (1, 2, 2, 4) of complete results")
    rectification: bool
    incentive: bool
    unavailable_sources: list[str]
    registry_status: str | None = Field(description="The alliance status this cycle set")

    @classmethod
    def of(cls, row: CycleTarget) -> ResultRead:
        grade = Grade(row.grade) if row.grade else None
        return cls(
            target_id=row.target_id,
            target_kind=TargetKind(row.target_kind),
            name=row.name,
            status="complete" if row.complete else "incomplete",
            total=row.total,
            base_total=row.base_total,
            adjustment=row.adjustment,
            adjustment_basis=row.adjustment_basis,
            known_points=row.known_points,
            vetoed=row.vetoed,
            grade=grade,
            grade_label=GRADE_LABELS[grade] if grade else None,
            rank=row.rank,
            rectification=row.rectification,
            incentive=row.incentive,
            unavailable_sources=row.unavailable_sources,
            registry_status=row.registry_status,
        )


class ResultsRead(BaseModel):
    cycle: CycleRead
    items: list[ResultRead] = Field(description="By rank, then incomplete ones")
    rectification: list[str] = Field(description="规范整顿: below the threshold or a failed veto")
    incentive: list[str] = Field(description="The top share (激励)")


class IndicatorResultRead(BaseModel):
    indicator_id: str
    code: str
    name: str
    kind: IndicatorKind
    max_score: float
    status: ScoreStatus
    value: float | None
    fraction: float | None
    points: float | None
    veto: bool
    veto_failed: bool
    evidence: dict[str, Any]
    explanation: str
    scored_by: str | None
    scored_at: datetime | None

    @classmethod
    def of(cls, indicator: Indicator, score: Score | None, explanation: str) -> IndicatorResultRead:
        status = ScoreStatus(score.status) if score else ScoreStatus.PENDING
        fraction = score.fraction if score else None
        return cls(
            indicator_id=indicator.id,
            code=indicator.code,
            name=indicator.name,
            kind=IndicatorKind(indicator.kind),
            max_score=indicator.max_score,
            status=status,
            value=score.value if score else None,
            fraction=fraction,
            points=score.points if score else None,
            veto=indicator.veto,
            veto_failed=indicator.veto and fraction is not None and fraction < indicator.veto_below,
            evidence=score.evidence if score else {},
            explanation=explanation,
            scored_by=score.scored_by if score else None,
            scored_at=score.scored_at if score else None,
        )


class DimensionResultRead(BaseModel):
    code: str
    name: str
    weight: float
    points: float = Field(description="weight x earned / maximum of its known indicators")
    indicators: list[IndicatorResultRead]


class AppealRead(BaseModel):
    id: str
    cycle_id: str
    target_id: str
    indicator_id: str | None
    reason: str
    status: AppealStatus
    created_by: str
    created_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None

    @classmethod
    def of(cls, row: Appeal) -> AppealRead:
        return cls.model_validate(row, from_attributes=True)


class ScoreChangeRead(BaseModel):
    indicator_id: str
    appeal_id: str | None
    old_points: float | None
    new_points: float | None
    reason: str
    changed_by: str
    changed_at: datetime

    @classmethod
    def of(cls, row: ScoreChange) -> ScoreChangeRead:
        return cls.model_validate(row, from_attributes=True)


class TargetResultRead(BaseModel):
    cycle: CycleRead
    result: ResultRead
    appeal_until: datetime | None = Field(description="Appeals are accepted until then")
    dimensions: list[DimensionResultRead]
    adjustment_explanation: str | None = Field(
        description="How the alliances' grades moved an organization's total (None: not at all)"
    )
    appeals: list[AppealRead]
    changes: list[ScoreChangeRead]


class ManualScore(Strict):
    score: float = Field(ge=0, description="Points, at most the indicator's max_score")
    note: Reason = Field(description="The evidence: what the assessor saw")
    attachments: list[RowId] = Field(default_factory=list, max_length=20)


class AppealCreate(Strict):
    indicator_id: RowId | None = Field(default=None, description="The contested indicator")
    reason: Reason


class AppealAnswer(Strict):
    answer: Reason
    new_score: float | None = Field(
        default=None,
        ge=0,
        description="Change the contested indicator's points (with the answer as reason)",
    )


class RectificationRead(BaseModel):
    target_id: str
    name: str
    outcome: str = Field(
        description="set | already_set | already_under_rectification | skipped | unknown | "
        "unavailable (retry later)"
    )
    detail: str
    registry_status: str | None
    registry_status_at: datetime | None

    @classmethod
    def of(cls, target: CycleTarget, outcome: str, detail: str) -> RectificationRead:
        return cls(
            target_id=target.target_id,
            name=target.name,
            outcome=outcome,
            detail=detail,
            registry_status=target.registry_status,
            registry_status_at=target.registry_status_at,
        )
