"""Assessment cycles, their targets (with the result), scores with evidence, appeals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field

from zhdj_assessment.models.base import AssessmentModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class Cycle(AssessmentModel, table=True):
    __tablename__ = "cycles"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    system_id: str = Field(foreign_key="indicator_systems.id", max_length=64)
    year: int
    quarter: int | None = None
    target_kind: str = Field(max_length=16)
    within: str | None = Field(default=None, max_length=64)  # a subtree (None: the city)
    org_kinds: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    target_ids: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    status: str = Field(max_length=16, index=True)  # CycleStatus
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    computed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    finalized_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    published_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class CycleTarget(AssessmentModel, table=True):
    """One assessed alliance or organization of a cycle, with its result."""

    __tablename__ = "cycle_targets"
    __table_args__ = (UniqueConstraint("cycle_id", "target_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    cycle_id: str = Field(foreign_key="cycles.id", max_length=64, index=True)
    target_id: str = Field(max_length=64)
    target_kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    # The organization's (an alliance's: its lead organization's) ancestry joined by "/":
    # staff acting for any of them read this target's result without a registry call.
    path: str = Field(max_length=1024)
    lead_org_id: str | None = Field(default=None, max_length=64)
    total: float | None = None
    # Organizations with an alliance adjustment: the total before it, the points added, and
    # the alliances' published results it came from ([{"alliance_id", "name", "cycle_id",
    # "grade", "points"}]; None while the registry's memberships could not be read).
    base_total: float | None = None
    adjustment: float | None = None
    adjustment_basis: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSONType, nullable=True)
    )
    known_points: float = 0.0
    complete: bool = False
    vetoed: bool = False
    grade: str | None = Field(default=None, max_length=16)
    rank: int | None = None
    rectification: bool = False
    incentive: bool = False
    unavailable_sources: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    # The alliance status this cycle set in the registry (rectification), and when.
    registry_status: str | None = Field(default=None, max_length=32)
    registry_status_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class Score(AssessmentModel, table=True):
    """One indicator of one target: its status, value, points and evidence."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("cycle_id", "target_id", "indicator_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    cycle_id: str = Field(foreign_key="cycles.id", max_length=64, index=True)
    target_id: str = Field(max_length=64)
    indicator_id: str = Field(foreign_key="indicators.id", max_length=64)
    status: str = Field(max_length=16)  # ScoreStatus
    value: float | None = None
    fraction: float | None = None
    points: float | None = None
    # auto: {"metric", "value", "source", "path", "params", "read_at"} (or the failure);
    # manual: {"note", "attachments"}
    evidence: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    scored_by: str | None = Field(default=None, max_length=128)
    scored_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Appeal(AssessmentModel, table=True):
    __tablename__ = "appeals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    cycle_id: str = Field(foreign_key="cycles.id", max_length=64, index=True)
    target_id: str = Field(max_length=64)
    indicator_id: str | None = Field(default=None, foreign_key="indicators.id", max_length=64)
    reason: str = Field(max_length=2000)
    status: str = Field(max_length=16)  # AppealStatus
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    answer: str | None = Field(default=None, max_length=2000)
    answered_by: str | None = Field(default=None, max_length=128)
    answered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class ScoreChange(AssessmentModel, table=True):
    """A score changed after finalization (an appeal's answer), with its reason."""

    __tablename__ = "score_changes"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    cycle_id: str = Field(foreign_key="cycles.id", max_length=64, index=True)
    target_id: str = Field(max_length=64)
    indicator_id: str = Field(foreign_key="indicators.id", max_length=64)
    appeal_id: str | None = Field(default=None, foreign_key="appeals.id", max_length=64)
    old_points: float | None = None
    new_points: float | None = None
    reason: str = Field(max_length=2000)
    changed_by: str = Field(max_length=128)
    changed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
