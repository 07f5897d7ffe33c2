"""Venue bookings on the registry's venues, and volunteer service records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field

from zhdj_activity.models.base import ActivityModel
from zhdj_shared.db import UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class VenueLock(ActivityModel, table=True):
    """One row per booked venue: bookings of a venue update it first, which serializes them
    on both databases (a row lock on PostgreSQL, the write lock on SQLite)."""

    __tablename__ = "venue_locks"

    venue_id: str = Field(primary_key=True, max_length=64)
    version: int = 0


class VenueBooking(ActivityModel, table=True):
    __tablename__ = "venue_bookings"
    __table_args__ = (Index("ix_venue_bookings_venue_time", "venue_id", "starts_at", "ends_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    venue_id: str = Field(max_length=64)
    org_id: str = Field(max_length=64, index=True)
    activity_id: str | None = Field(default=None, foreign_key="activities.id", max_length=64)
    purpose: str = Field(max_length=200)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(default="booked", max_length=16)  # booked | cancelled
    booked_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class VolunteerRecord(ActivityModel, table=True):
    __tablename__ = "volunteer_records"
    __table_args__ = (
        Index(
            "ix_volunteer_records_path_day",
            "org_path",
            "served_on",
            postgresql_ops={"org_path": "text_pattern_ops"},
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    member_id: str = Field(max_length=64, index=True)
    member_name: str = Field(max_length=64)
    org_id: str = Field(max_length=64)
    org_path: str = Field(max_length=1024)
    post_kind: str = Field(max_length=64)
    hours: float
    served_on: date
    service_request_id: str | None = Field(default=None, max_length=64, index=True)
    activity_id: str | None = Field(default=None, foreign_key="activities.id", max_length=64)
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
