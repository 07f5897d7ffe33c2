"""Cadence rules (data, seeded from DOMAIN.md) and their exemptions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field

from zhdj_activity.models.base import ActivityModel
from zhdj_shared.db import UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class CadenceRule(ActivityModel, table=True):
    __tablename__ = "cadence_rules"

    code: str = Field(primary_key=True, max_length=64)
    label_zh: str = Field(max_length=128)
    activity_type: str = Field(foreign_key="activity_types.code", max_length=64)
    applies_to: str = Field(max_length=32)  # AppliesTo
    period: str = Field(max_length=16)  # Period
    min_count: int = 1
    active: bool = True


class CadenceExemption(ActivityModel, table=True):
    """A party (organization or alliance) excused from a rule (or every rule) for some days."""

    __tablename__ = "cadence_exemptions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    party_id: str = Field(max_length=64, index=True)
    rule_code: str | None = Field(default=None, foreign_key="cadence_rules.code", max_length=64)
    start_on: date
    end_on: date  # inclusive
    reason: str = Field(max_length=500)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
