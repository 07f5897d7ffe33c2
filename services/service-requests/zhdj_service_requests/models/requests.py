"""Resident requests (诉求 / 工单), their timeline, attachments and the per-day number counter.

``handling_path`` is the handling organization's materialized path (``/root/.../org/``, the
registry's ancestry), copied on every routing change: a street's queue is then an indexed prefix
scan, with no call to the registry per row. ``is_open`` keeps the open work in its own index
range, apart from the history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field

from zhdj_service_requests.models.base import ServiceRequestsModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class ServiceRequest(ServiceRequestsModel, table=True):
    __tablename__ = "service_requests"
    __table_args__ = (
        Index("ix_service_requests_queue", "is_open", "handling_path", "id"),
        Index("ix_service_requests_handling_path_id", "handling_path", "id"),
        Index("ix_service_requests_resident", "resident_user_id", "id"),
        Index("ix_service_requests_client", "submitted_client_id", "id"),
        Index("ix_service_requests_nearby", "category_id", "is_open", "created_at"),
        # The duplicate check without a location (migration 0030): one probe.
        Index(
            "ix_service_requests_same_place",
            "item_id",
            "community_id",
            "grid_id",
            "is_open",
            "created_at",
            "id",
        ),
        Index("ix_service_requests_due", "is_open", "resolve_due_on"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    number: str = Field(max_length=32, unique=True)
    item_id: str = Field(foreign_key="service_items.id", max_length=64)
    category_id: str = Field(foreign_key="categories.id", max_length=64)
    department_id: str | None = Field(default=None, foreign_key="departments.id", max_length=64)
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    channel: str = Field(max_length=16)
    status: str = Field(max_length=16)
    is_open: bool = Field(default=True)
    # The resident (personal data: masked for all but the resident and the handling staff).
    resident_user_id: str | None = Field(default=None, max_length=128)
    resident_name: str | None = Field(default=None, max_length=64)
    resident_phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=256)
    household_id: str | None = Field(default=None, max_length=64)
    # Where: from the household or the location, through the registry.
    community_id: str | None = Field(default=None, max_length=64, index=True)
    grid_id: str | None = Field(default=None, max_length=64)
    lat: float | None = None
    lng: float | None = None
    # Who handles it now.
    handling_org_id: str = Field(max_length=64)
    handling_path: str = Field(max_length=1024)
    assigned_team_id: str | None = Field(default=None, max_length=64)
    assigned_department_id: str | None = Field(default=None, max_length=64)
    dispatched_by_org_id: str | None = Field(default=None, max_length=64)
    suggested_team_ids: list[str] = Field(default_factory=list, sa_column=Column(JSONType))
    # Who submitted it (a resident, staff taking a call, or a third-party client).
    submitted_by: str = Field(max_length=128)
    submitted_client_id: str | None = Field(default=None, max_length=128)
    # Deadlines (dates in China's calendar, end of that day) and their basis.
    respond_due_on: date
    resolve_due_on: date
    calendar_basis: str = Field(max_length=16)
    escalation_level: int = Field(default=0)
    extension_days_requested: int | None = None
    extension_reason: str | None = Field(default=None, max_length=500)
    extensions_granted: int = Field(default=0)
    # Outcome.
    reject_reason: str | None = Field(default=None, max_length=500)
    result: str | None = Field(default=None, max_length=2000)
    rating: int | None = None
    rating_comment: str | None = Field(default=None, max_length=1000)
    reopen_count: int = Field(default=0)
    volunteers: int = Field(default=0, description="Volunteer person-times (人次)")
    responded_on_time: bool | None = None
    resolved_on_time: bool | None = None
    handling_minutes: int | None = None
    possible_duplicate_of: str | None = Field(default=None, max_length=64)
    duplicate_of: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class RequestEvent(ServiceRequestsModel, table=True):
    """One line of a request's timeline: who did what, when, with a note."""

    __tablename__ = "request_events"
    __table_args__ = (Index("ix_request_events_request_id_id", "request_id", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    request_id: str = Field(foreign_key="service_requests.id", max_length=64)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    actor_subject: str = Field(max_length=128)
    actor_name: str | None = Field(default=None, max_length=128)
    actor_role: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class RequestAttachment(ServiceRequestsModel, table=True):
    """A photo on a request; the bytes live in the blob store under ``blob_key``."""

    __tablename__ = "request_attachments"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    request_id: str = Field(foreign_key="service_requests.id", max_length=64, index=True)
    event_id: str | None = Field(default=None, max_length=64)
    blob_key: str = Field(max_length=128)
    filename: str = Field(max_length=256)
    content_type: str = Field(max_length=64)
    size: int
    uploaded_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class RequestCounter(ServiceRequestsModel, table=True):
    """The last number given on a day (``SR20261127-000123``): one row per day."""

    __tablename__ = "request_counters"

    day: str = Field(primary_key=True, max_length=8)
    value: int = Field(default=0)


# The columns of a request nothing has happened to yet (no escalation, extension, result,
# rating...): what a submission writes, and what the demo starts each request from.
UNHANDLED: dict[str, object] = {
    "escalation_level": 0,
    "extension_days_requested": None,
    "extension_reason": None,
    "extensions_granted": 0,
    "reject_reason": None,
    "result": None,
    "rating": None,
    "rating_comment": None,
    "reopen_count": 0,
    "volunteers": 0,
    "responded_on_time": None,
    "resolved_on_time": None,
    "handling_minutes": None,
}
