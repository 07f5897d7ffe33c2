"""Activities, their participants, attendance, attachments and the append-only event log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field

from zhdj_activity.models.base import ActivityModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class ActivityType(ActivityModel, table=True):
    """A kind of activity (data: a city adds its own)."""

    __tablename__ = "activity_types"

    code: str = Field(primary_key=True, max_length=64)
    label_zh: str = Field(max_length=64)
    label_en: str = Field(max_length=128)
    has_lecturer: bool = False
    active: bool = True
    sort_order: int = 0


class Activity(ActivityModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_owner_starts", "owner_id", "starts_at", "id"),
        # text_pattern_ops: LIKE 'prefix%' (a subtree) uses the index whatever the collation.
        Index(
            "ix_activities_owner_path_starts",
            "owner_path",
            "starts_at",
            postgresql_ops={"owner_path": "text_pattern_ops"},
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    type_code: str = Field(foreign_key="activity_types.code", max_length=64)
    title: str = Field(max_length=200)
    owner_kind: str = Field(max_length=16)  # PartyKind
    owner_id: str = Field(max_length=64)
    # The owner's (for an alliance: its lead organization's) ancestry joined by "/", ending in
    # "/": a subtree is one indexed prefix scan, and reads authorize without the registry.
    owner_path: str = Field(max_length=1024)
    status: str = Field(max_length=16, index=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    held_on: date | None = None  # the China-calendar day it was held (set with the record)
    venue_id: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=256)
    lecturer_member_id: str | None = Field(default=None, max_length=64, index=True)
    lecturer_name: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=4000)
    minutes: str | None = Field(default=None, max_length=20000)
    decisions: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    status_reason: str | None = Field(default=None, max_length=500)
    checkin_code_hash: str | None = Field(default=None, max_length=64)
    checkin_expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Participant(ActivityModel, table=True):
    """One organization or alliance an activity counts for (the owner and joint partners).

    Type, status and day are copied here at write time so compliance and statistics read one
    table with one index: ``(party_path prefix, type, day)`` or ``(party_id, type, day)``.
    """

    __tablename__ = "activity_participants"
    __table_args__ = (
        UniqueConstraint("activity_id", "party_id"),
        Index("ix_participants_party_type_day", "party_id", "type_code", "day"),
        Index(
            "ix_participants_path_day",
            "party_path",
            "day",
            postgresql_ops={"party_path": "text_pattern_ops"},
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    activity_id: str = Field(foreign_key="activities.id", max_length=64, index=True)
    party_kind: str = Field(max_length=16)
    party_id: str = Field(max_length=64)
    party_path: str = Field(max_length=1024)
    type_code: str = Field(max_length=64)
    status: str = Field(max_length=16)
    day: date  # China-calendar day: held_on once held, the planned day before


class Attendance(ActivityModel, table=True):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("activity_id", "member_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    activity_id: str = Field(foreign_key="activities.id", max_length=64, index=True)
    member_id: str = Field(max_length=64)
    member_name: str = Field(max_length=64)
    org_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    method: str | None = Field(default=None, max_length=16)
    checked_in_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    leave_reason: str | None = Field(default=None, max_length=500)
    recorded_by: str | None = Field(default=None, max_length=128)


class Attachment(ActivityModel, table=True):
    __tablename__ = "attachments"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    activity_id: str = Field(foreign_key="activities.id", max_length=64, index=True)
    blob_key: str = Field(max_length=64)  # SHA-256 of the content (zhdj_shared.storage)
    content_type: str = Field(max_length=64)
    size: int
    filename: str = Field(max_length=256)
    uploaded_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ActivityEvent(ActivityModel, table=True):
    """One entry of an activity's append-only log (全程纪实); ``hash`` covers ``prev_hash``."""

    __tablename__ = "activity_events"
    __table_args__ = (UniqueConstraint("activity_id", "seq"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    activity_id: str = Field(foreign_key="activities.id", max_length=64)
    seq: int
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    actor: str = Field(max_length=128)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
