"""API shapes of indicator systems."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from zhdj_assessment.models import Indicator, IndicatorSystem
from zhdj_assessment.schemas.common import Code, Strict, Title
from zhdj_assessment.scoring import validate_params
from zhdj_assessment.sources import METRICS
from zhdj_assessment.vocabulary import GRADE_LABELS, Grade, IndicatorKind, Method, TargetKind


class GradeBands(Strict):
    excellent: float = Field(ge=0, description="Lowest total of 优秀")
    good: float = Field(ge=0, description="Lowest total of 良好")
    fair: float = Field(ge=0, description="Lowest total of 一般 (below: 较差)")

    @model_validator(mode="after")
    def _ordered(self) -> GradeBands:
        if not self.excellent > self.good > self.fair:
            raise ValueError("excellent > good > fair is required")
        return self


class AllianceAdjustment(Strict):
    """Points added to (negative: taken from) a member organization's total by the grade of its
    alliance's published result in the same period (the mean over several alliances)."""

    excellent: float = Field(default=0, ge=-100, le=100, description="Alliance 优秀")
    good: float = Field(default=0, ge=-100, le=100, description="Alliance 良好")
    fair: float = Field(default=0, ge=-100, le=100, description="Alliance 一般")
    poor: float = Field(default=0, ge=-100, le=100, description="Alliance 较差")


class IndicatorCreate(Strict):
    code: Code
    name: Title
    kind: IndicatorKind = Field(description="auto (from a metric) or manual (by an assessor)")
    max_score: float = Field(gt=0, le=1000)
    metric: str | None = Field(default=None, description="auto: one of GET .../metrics")
    method: Method | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    veto: bool = Field(default=False, description="一票否决: failing it caps the total")
    veto_below: float = Field(default=1.0, ge=0, le=1, description="Fails below this fraction")

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorCreate:
        if self.kind == IndicatorKind.DIMENSION:
            raise ValueError("an indicator is auto or manual")
        if self.kind == IndicatorKind.AUTO:
            if self.metric not in METRICS:
                raise ValueError(f"unknown metric {self.metric}")
            if self.method is None:
                raise ValueError("an automatic indicator needs a method")
            problem = validate_params(self.method, self.params)
            if problem:
                raise ValueError(problem)
        elif self.metric or self.method:
            raise ValueError("a manual indicator has no metric or method")
        return self


class DimensionCreate(Strict):
    code: Code
    name: Title
    weight: float = Field(ge=0, le=100)
    indicators: list[IndicatorCreate] = Field(min_length=1, max_length=50)


class SystemCreate(Strict):
    code: Code = Field(description="An existing code makes a new version of that system")
    name: Title
    target_kind: TargetKind
    grade_bands: GradeBands
    rectification_below: float = Field(ge=0, le=1000)
    veto_cap: float = Field(ge=0, le=1000)
    incentive_share: float = Field(gt=0, le=1)
    appeal_days: int = Field(ge=0, le=365)
    alliance_adjustment: AllianceAdjustment | None = Field(
        default=None,
        description="Organization systems only: how a member organization's total takes its "
        "alliance's grade into account",
    )
    dimensions: list[DimensionCreate] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> SystemCreate:
        codes = [d.code for d in self.dimensions] + [
            i.code for d in self.dimensions for i in d.indicators
        ]
        if len(codes) != len(set(codes)):
            raise ValueError("codes must be unique within a system")
        if self.alliance_adjustment is not None and self.target_kind != TargetKind.ORG:
            raise ValueError("alliance_adjustment applies to organization systems only")
        for d in self.dimensions:
            for i in d.indicators:
                if i.metric and self.target_kind not in METRICS[i.metric].kinds:
                    raise ValueError(f"metric {i.metric} does not apply to {self.target_kind}")
        return self


class IndicatorRead(BaseModel):
    id: str
    code: str
    name: str
    kind: IndicatorKind
    max_score: float
    metric: str | None
    metric_label: str | None
    method: Method | None
    params: dict[str, Any]
    veto: bool
    veto_below: float

    @classmethod
    def of(cls, row: Indicator) -> IndicatorRead:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            kind=IndicatorKind(row.kind),
            max_score=row.max_score,
            metric=row.metric,
            metric_label=METRICS[row.metric].label_zh if row.metric in METRICS else None,
            method=Method(row.method) if row.method else None,
            params=row.params,
            veto=row.veto,
            veto_below=row.veto_below,
        )


class DimensionRead(BaseModel):
    id: str
    code: str
    name: str
    weight: float
    indicators: list[IndicatorRead]


class GradeBandRead(BaseModel):
    grade: Grade
    label: str
    min_total: float | None


class SystemRead(BaseModel):
    id: str
    code: str
    version: int
    name: str
    target_kind: TargetKind
    grade_bands: list[GradeBandRead]
    rectification_below: float
    veto_cap: float
    incentive_share: float
    appeal_days: int
    alliance_adjustment: dict[str, float] | None
    active: bool
    created_by: str
    created_at: datetime
    dimensions: list[DimensionRead]

    @classmethod
    def of(cls, system: IndicatorSystem, indicators: list[Indicator]) -> SystemRead:
        dims = [i for i in indicators if i.parent_id is None]
        return cls(
            id=system.id,
            code=system.code,
            version=system.version,
            name=system.name,
            target_kind=TargetKind(system.target_kind),
            grade_bands=[
                GradeBandRead(grade=g, label=GRADE_LABELS[g], min_total=system.grade_bands.get(g))
                for g in Grade
            ],
            rectification_below=system.rectification_below,
            veto_cap=system.veto_cap,
            incentive_share=system.incentive_share,
            appeal_days=system.appeal_days,
            alliance_adjustment=system.alliance_adjustment,
            active=system.active,
            created_by=system.created_by,
            created_at=system.created_at,
            dimensions=[
                DimensionRead(
                    id=d.id,
                    code=d.code,
                    name=d.name,
                    weight=d.weight,
                    indicators=[IndicatorRead.of(i) for i in indicators if i.parent_id == d.id],
                )
                for d in dims
            ],
        )


class MetricRead(BaseModel):
    code: str
    source: str
    label_zh: str
    target_kinds: list[TargetKind]
