"""Indicator systems (versioned, immutable once created) and their tree of indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field

from zhdj_assessment.models.base import AssessmentModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class IndicatorSystem(AssessmentModel, table=True):
    """One version of a system; a change is a new version (cycles keep the version they used)."""

    __tablename__ = "indicator_systems"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    code: str = Field(max_length=64, index=True)
    version: int
    name: str = Field(max_length=200)
    target_kind: str = Field(max_length=16)  # TargetKind
    # {"excellent": 90, "good": 80, "fair": 60}: the lowest total of each grade
    grade_bands: dict[str, float] = Field(sa_column=Column(JSONType, nullable=False))
    rectification_below: float
    veto_cap: float
    incentive_share: float
    appeal_days: int
    # Organization systems: points added to a member organization's total by the grade of its
    # alliance's published result in the same period, e.g. {"excellent": 3, "good": 1,
    # "fair": 0, "poor": -5} (None: no adjustment). See scoring.alliance_adjustment.
    alliance_adjustment: dict[str, float] | None = Field(
        default=None, sa_column=Column(JSONType, nullable=True)
    )
    active: bool = True
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Indicator(AssessmentModel, table=True):
    """A dimension (``parent_id`` None, a ``weight``) or an indicator under one."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("system_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    system_id: str = Field(foreign_key="indicator_systems.id", max_length=64, index=True)
    parent_id: str | None = Field(default=None, foreign_key="indicators.id", max_length=64)
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)  # IndicatorKind
    weight: float = 0.0  # dimensions
    max_score: float = 0.0  # indicators
    metric: str | None = Field(default=None, max_length=64)  # auto
    method: str | None = Field(default=None, max_length=16)  # auto: Method
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    veto: bool = False
    veto_below: float = 1.0
    sort_order: int = 0
