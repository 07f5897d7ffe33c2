"""Units (单位) and how each is covered (两个覆盖).

Coverage is derived from three columns and never stored twice: ``own_org_id`` set means
organization coverage (组织覆盖); otherwise ``covering_org_id`` or ``instructor_name`` set means
work coverage (工作覆盖); otherwise the unit is a blank spot (空白点).

``supervising_org_path`` copies the supervising organization's materialized path so that a
subtree's units and coverage figures are one indexed prefix scan. It is rewritten when the
unit changes supervisor and when an organization moves (``OrganizationRepository.move_subtree``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field

from zhdj_registry.models.base import RegistryModel
from zhdj_shared.db import UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class Unit(RegistryModel, table=True):
    __tablename__ = "units"
    __table_args__ = (
        Index(
            "ix_units_supervising_org_path",
            "supervising_org_path",
            postgresql_ops={"supervising_org_path": "text_pattern_ops"},
        ),
        Index("ix_units_name_pinyin_id", "name_pinyin", "id"),
        # NULLs are distinct on both databases: unique only when present.
        Index("uq_units_credit_code", "credit_code", unique=True),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    name_pinyin: str = Field(max_length=512)
    name_initials: str = Field(max_length=128, index=True)
    kind: str = Field(max_length=32, index=True)
    sector: str = Field(max_length=32, index=True)
    area_code: str | None = Field(default=None, max_length=32, index=True)
    area_name: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=256)
    credit_code: str | None = Field(default=None, max_length=18)
    employees: int | None = Field(default=None, ge=0)
    party_members: int | None = Field(default=None, ge=0)
    supervising_org_id: str = Field(foreign_key="organizations.id", index=True)
    supervising_org_path: str = Field(max_length=4096)
    own_org_id: str | None = Field(default=None, foreign_key="organizations.id", index=True)
    covering_org_id: str | None = Field(default=None, foreign_key="organizations.id", index=True)
    instructor_name: str | None = Field(default=None, max_length=64)
    instructor_member_id: str | None = Field(default=None, foreign_key="members.id")
    status: str = Field(default="active", max_length=16, index=True)
    deactivated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    deactivation_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    @property
    def coverage(self) -> str:
        if self.own_org_id:
            return "organization"
        if self.covering_org_id or self.instructor_name:
            return "work"
        return "blank"
