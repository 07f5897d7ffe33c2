"""API shapes of activities, attendance, attachments and the event log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from zhdj_activity.models import Activity, ActivityEvent, ActivityType, Attachment, Attendance
from zhdj_activity.schemas.common import PersonName, Reason, RowId, Strict, Text, Title
from zhdj_activity.vocabulary import (
    ATTENDANCE_LABELS,
    STATUS_LABELS,
    ActivityStatus,
    AttendanceStatus,
    PartyKind,
)


class PartyRef(Strict):
    kind: PartyKind = PartyKind.ORG
    id: RowId


class ActivityCreate(Strict):
    type_code: RowId = Field(description="A code from GET /api/activity/types")
    title: Title
    owner: PartyRef = Field(description="The organization or alliance holding it")
    partners: list[PartyRef] = Field(
        default_factory=list,
        max_length=50,
        description="Joint holders: the activity counts for each of them too",
    )
    starts_at: datetime
    ends_at: datetime
    venue_id: RowId | None = Field(default=None, description="A registry venue")
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)] | None = None
    lecturer_member_id: RowId | None = Field(default=None, description="党课: the lecturer")
    lecturer_name: PersonName | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _checks(self) -> ActivityCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need an offset, e.g. 2026-03-05T14:00:00+08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at is not after starts_at")
        ids = [self.owner.id, *(p.id for p in self.partners)]
        if len(set(ids)) != len(ids):
            raise ValueError("a partner is listed twice or is the owner")
        return self


class RecordSubmit(Strict):
    """The record of a held activity (纪实): minutes, decisions; attendance is recorded apart."""

    held_on: date | None = Field(default=None, description="Defaults to the planned day")
    minutes: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)
    ]
    decisions: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=100
    )


class ReasonBody(Strict):
    reason: Reason


class CorrectionBody(Strict):
    """A correction of an approved record: appended as an event, the record is not edited."""

    field: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    correction: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
    ]
    reason: Reason


class ActivityTypeRead(BaseModel):
    code: str
    label_zh: str
    label_en: str
    has_lecturer: bool

    @classmethod
    def of(cls, row: ActivityType) -> ActivityTypeRead:
        return cls(
            code=row.code,
            label_zh=row.label_zh,
            label_en=row.label_en,
            has_lecturer=row.has_lecturer,
        )


class ParticipantRead(BaseModel):
    kind: PartyKind
    id: str


class ActivityRead(BaseModel):
    id: str
    type_code: str
    type_label: str
    title: str
    owner: ParticipantRead
    partners: list[ParticipantRead]
    status: ActivityStatus
    status_label: str
    status_reason: str | None
    starts_at: datetime
    ends_at: datetime
    held_on: date | None
    venue_id: str | None
    location: str | None
    lecturer_member_id: str | None
    lecturer_name: str | None
    description: str | None
    minutes: str | None
    decisions: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, a: Activity, type_label: str, partners: list[ParticipantRead]) -> ActivityRead:
        status = ActivityStatus(a.status)
        return cls(
            id=a.id,
            type_code=a.type_code,
            type_label=type_label,
            title=a.title,
            owner=ParticipantRead(kind=PartyKind(a.owner_kind), id=a.owner_id),
            partners=partners,
            status=status,
            status_label=STATUS_LABELS[status],
            status_reason=a.status_reason,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            held_on=a.held_on,
            venue_id=a.venue_id,
            location=a.location,
            lecturer_member_id=a.lecturer_member_id,
            lecturer_name=a.lecturer_name,
            description=a.description,
            minutes=a.minutes,
            decisions=list(a.decisions or []),
            created_by=a.created_by,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )


class CheckinCodeRead(BaseModel):
    code: str = Field(description="What the QR code carries; shown once")
    expires_at: datetime


class CodeCheckin(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=32)]


class SecretaryCheckin(Strict):
    member_ids: list[RowId] = Field(min_length=1, max_length=500)


class LeaveBody(Strict):
    member_id: RowId
    reason: Reason


class AttendanceRead(BaseModel):
    member_id: str
    member_name: str
    org_id: str
    status: AttendanceStatus
    status_label: str
    method: str | None
    checked_in_at: datetime | None
    leave_reason: str | None

    @classmethod
    def of(cls, row: Attendance) -> AttendanceRead:
        status = AttendanceStatus(row.status)
        return cls(
            member_id=row.member_id,
            member_name=row.member_name,
            org_id=row.org_id,
            status=status,
            status_label=ATTENDANCE_LABELS[status],
            method=row.method,
            checked_in_at=row.checked_in_at,
            leave_reason=row.leave_reason,
        )


class AttendanceSummary(BaseModel):
    roster: int
    present: int
    leave: int
    absent: int
    rate: float | None = Field(description="present / roster (null with an empty roster)")
    items: list[AttendanceRead]


class AttachmentRead(BaseModel):
    id: str
    activity_id: str
    sha256: str
    content_type: str
    size: int
    filename: str
    uploaded_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: Attachment) -> AttachmentRead:
        return cls(
            id=row.id,
            activity_id=row.activity_id,
            sha256=row.blob_key,
            content_type=row.content_type,
            size=row.size,
            filename=row.filename,
            uploaded_by=row.uploaded_by,
            created_at=row.created_at,
        )


class EventRead(BaseModel):
    seq: int
    kind: str
    payload: dict[str, Any]
    actor: str
    at: datetime
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: ActivityEvent) -> EventRead:
        return cls(
            seq=row.seq,
            kind=row.kind,
            payload=dict(row.payload),
            actor=row.actor,
            at=row.at,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


class ChainVerdict(BaseModel):
    activity_id: str
    events: int
    intact: bool
    first_broken_seq: int | None = Field(description="The first event whose hash does not hold")
    problem: str | None
