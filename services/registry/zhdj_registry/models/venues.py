"""Activity venues (活动阵地), owned by an organization and shared with alliances."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, text
from sqlmodel import Field

from zhdj_registry.models.base import RegistryModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class Venue(RegistryModel, table=True):
    __tablename__ = "venues"
    __table_args__ = (Index("ix_venues_name_pinyin_id", "name_pinyin", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    name_pinyin: str = Field(max_length=512)
    name_initials: str = Field(max_length=128, index=True)
    owner_org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    address: str = Field(max_length=256)
    capacity: int = Field(ge=0)
    facilities: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    open_hours: str | None = Field(default=None, max_length=256)
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = Field(default=None, max_length=2000)
    status: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class AllianceVenue(RegistryModel, table=True):
    """A venue shared with an alliance from ``linked_on`` up to the day before ``unlinked_on``."""

    __tablename__ = "alliance_venues"
    __table_args__ = (
        Index(
            "uq_alliance_venues_open",
            "alliance_id",
            "venue_id",
            unique=True,
            sqlite_where=text("unlinked_on IS NULL"),
            postgresql_where=text("unlinked_on IS NULL"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    venue_id: str = Field(foreign_key="venues.id", max_length=64, index=True)
    linked_on: date
    unlinked_on: date | None = None
    is_office: bool = Field(default=False, description="固定办公活动场所")
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
