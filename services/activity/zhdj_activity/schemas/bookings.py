"""API shapes of venue bookings and volunteer service records."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from zhdj_activity.models import VenueBooking, VolunteerRecord
from zhdj_activity.schemas.common import Reason, RowId, Strict, Text, Title


class BookingCreate(Strict):
    venue_id: RowId = Field(description="A registry venue (活动阵地)")
    org_id: RowId = Field(description="The organization booking it")
    purpose: Title
    starts_at: datetime
    ends_at: datetime
    activity_id: RowId | None = None

    @model_validator(mode="after")
    def _ordered(self) -> BookingCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need an offset, e.g. 2026-03-05T14:00:00+08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at is not after starts_at")
        return self


class BookingCancel(Strict):
    reason: Reason


class BookingRead(BaseModel):
    id: str
    venue_id: str
    org_id: str
    activity_id: str | None
    purpose: str
    starts_at: datetime
    ends_at: datetime
    status: str
    booked_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: VenueBooking) -> BookingRead:
        return cls.model_validate(row, from_attributes=True)


class VolunteerCreate(Strict):
    member_id: RowId = Field(description="A registry member")
    post_kind: Title = Field(description="志愿服务岗 kind, e.g. 文明引导, 助老服务")
    hours: float = Field(gt=0, le=24)
    served_on: date
    service_request_id: RowId | None = Field(
        default=None, description="The service request (诉求/工单) it served, if any"
    )
    activity_id: RowId | None = None
    note: Text | None = None


class VolunteerRead(BaseModel):
    id: str
    member_id: str
    member_name: str
    org_id: str
    post_kind: str
    hours: float
    served_on: date
    service_request_id: str | None
    activity_id: str | None
    note: str | None
    recorded_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: VolunteerRecord) -> VolunteerRead:
        return cls.model_validate(row, from_attributes=True)


class VolunteerTotals(BaseModel):
    hours: float
    person_times: int = Field(description="人次: one record is one person serving once")
