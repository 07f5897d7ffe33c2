"""Community grids and their households (社区网格家庭信息).

A community (社区) or village (村) party organization divides its area into grid units (网格), each
with a grid worker; households live in a grid. The data is personal: only the community's own
staff (and the staff above it) see it. Service requests use it to route one-tap requests.

``community_id`` is repeated on the household so that "this community's households" and the
authorization check need no join. Care flags are stored as a delimited code list
(``",elderly_alone,low_income,"``) so that one ``LIKE '%,code,%'`` filters by a flag on every
database, and a new flag needs no migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field

from zhdj_registry.models.base import RegistryModel
from zhdj_shared.db import UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class Grid(RegistryModel, table=True):
    __tablename__ = "grids"
    __table_args__ = (
        UniqueConstraint("community_id", "code", name="uq_grids_community_id_code"),
        Index("ix_grids_center_lat", "center_lat"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    community_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    name: str = Field(max_length=128)
    code: str = Field(max_length=64)
    worker_name: str | None = Field(default=None, max_length=64)
    worker_phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=2000)
    center_lat: float | None = None
    center_lng: float | None = None
    radius_m: int | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Household(RegistryModel, table=True):
    __tablename__ = "households"
    __table_args__ = (Index("ix_households_community_grid", "community_id", "grid_id", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    grid_id: str = Field(foreign_key="grids.id", max_length=64, index=True)
    community_id: str = Field(foreign_key="organizations.id", max_length=64)
    address: str = Field(max_length=256)
    building: str | None = Field(default=None, max_length=32)
    unit: str | None = Field(default=None, max_length=32)
    room: str | None = Field(default=None, max_length=32)
    head_name: str = Field(max_length=64)
    contact_phone: str | None = Field(default=None, max_length=32)
    members_count: int = Field(default=1, ge=1)
    care_flags: str = Field(default="", max_length=256)
    # The resident's gateway account, when they have linked one (at most one household each).
    user_id: str | None = Field(default=None, max_length=64, unique=True)
    note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    def flags(self) -> list[str]:
        return [code for code in self.care_flags.split(",") if code]


def encode_flags(codes: Sequence[str]) -> str:
    """``["low_income", "disabled"]`` → ``",disabled,low_income,"`` (sorted, no duplicates)."""
    unique = sorted(set(codes))
    return f",{','.join(unique)}," if unique else ""
