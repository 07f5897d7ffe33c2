"""API shapes of requests: submission bodies, workflow bodies and the request as it is read."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhdj_service_requests.models import RequestEvent, ServiceRequest
from zhdj_service_requests.workdays import CALENDAR_BASIS_DESCRIPTION, CalendarBasis
from zhdj_service_requests.workflow import (
    ACTION_LABELS,
    STATUS_LABELS,
    Action,
    Status,
    allowed_actions,
)

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+\- ]{5,20}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Channel(StrEnum):
    APP = "app"  # a signed-in resident in the app
    ONE_CLICK = "one_click"  # one tap (一键式)
    CALL = "call"  # service-center staff taking a phone call (呼叫式)
    THIRD_PARTY = "third_party"  # another system with its own credentials
    OPEN311 = "open311"  # a GeoReport v2 client


CHANNEL_LABELS = {
    Channel.APP: "居民端",
    Channel.ONE_CLICK: "一键式",
    Channel.CALL: "呼叫式",
    Channel.THIRD_PARTY: "第三方系统",
    Channel.OPEN311: "Open311",
}


class Preset(StrEnum):
    HELP = "help"
    REPAIR = "repair"
    CONSULT = "consult"


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class RequestCreate(Strict):
    """A request from the app, a phone call (staff) or a third-party system."""

    item_id: Id
    title: Text200 | None = Field(default=None, description="Defaults to the item's name")
    description: Text2000
    location: Location | None = None
    address: Annotated[str, StringConstraints(max_length=256)] | None = None
    community_id: Id | None = Field(
        default=None, description="Where, when neither household nor location tells"
    )
    # Call-style and third-party: who the resident is.
    resident_name: Annotated[str, StringConstraints(max_length=64)] | None = None
    resident_phone: Phone | None = None
    resident_user_id: Annotated[str, StringConstraints(max_length=128)] | None = None


class OneClickCreate(Strict):
    preset: Preset
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    location: Location | None = None


class Note(Strict):
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class Reason(Strict):
    reason: Text2000


class DispatchBody(Strict):
    """Exactly one target: an organization (in your subtree), a department or a volunteer team."""

    org_id: Id | None = None
    department_id: Id | None = None
    team_id: Id | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> DispatchBody:
        if sum(t is not None for t in (self.org_id, self.department_id, self.team_id)) != 1:
            raise ValueError("give exactly one of org_id, department_id, team_id")
        return self


class ResolveBody(Strict):
    result: Text2000
    volunteers: int = Field(default=0, ge=0, le=1000, description="Volunteer person-times (人次)")


class RateBody(Strict):
    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None


class ExtensionBody(Strict):
    days: int = Field(ge=1, le=60, description="Extra working days")
    reason: Text2000


class ExtensionDecision(Strict):
    approve: bool
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class DuplicateBody(Strict):
    duplicate_of: Id
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.replace(" ", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def mask_address(address: str | None) -> str | None:
    if not address:
        return address
    return address[: min(6, len(address) // 2)] + "****"


class RequestRead(BaseModel):
    id: str
    number: str = Field(description="SR<yyyymmdd>-<six digits>")
    item_id: str
    category_id: str
    department_id: str | None
    title: str
    description: str
    channel: Channel
    channel_label: str
    status: Status
    status_label: str
    allowed_actions: list[Action]
    resident_user_id: str | None
    resident_name: str | None
    resident_phone: str | None
    address: str | None
    personal_data_masked: bool
    community_id: str | None
    grid_id: str | None
    lat: float | None
    lng: float | None
    handling_org_id: str
    assigned_department_id: str | None
    assigned_team_id: str | None
    suggested_team_ids: list[str]
    respond_due_on: date
    resolve_due_on: date
    calendar_basis: CalendarBasis = Field(description=CALENDAR_BASIS_DESCRIPTION)
    overdue: bool
    escalation_level: int = Field(description="0 none, 1 催办, 2 督办 yellow, 3 督办 red")
    extension_days_requested: int | None
    extensions_granted: int
    reject_reason: str | None
    result: str | None
    rating: int | None
    rating_comment: str | None
    reopen_count: int
    possible_duplicate_of: str | None
    duplicate_of: str | None
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, row: ServiceRequest, *, masked: bool, today: date) -> RequestRead:
        status = Status(row.status)
        return cls(
            id=row.id,
            number=row.number,
            item_id=row.item_id,
            category_id=row.category_id,
            department_id=row.department_id,
            title=row.title,
            description=row.description,
            channel=Channel(row.channel),
            channel_label=CHANNEL_LABELS[Channel(row.channel)],
            status=status,
            status_label=STATUS_LABELS[status],
            allowed_actions=allowed_actions(status),
            resident_user_id=row.resident_user_id,
            resident_name=mask_name(row.resident_name) if masked else row.resident_name,
            resident_phone=mask_phone(row.resident_phone) if masked else row.resident_phone,
            address=mask_address(row.address) if masked else row.address,
            personal_data_masked=masked,
            community_id=row.community_id,
            grid_id=row.grid_id,
            lat=row.lat,
            lng=row.lng,
            handling_org_id=row.handling_org_id,
            assigned_department_id=row.assigned_department_id,
            assigned_team_id=row.assigned_team_id,
            suggested_team_ids=list(row.suggested_team_ids or []),
            respond_due_on=row.respond_due_on,
            resolve_due_on=row.resolve_due_on,
            calendar_basis=CalendarBasis(row.calendar_basis),
            overdue=is_overdue(row, today),
            escalation_level=row.escalation_level,
            extension_days_requested=row.extension_days_requested,
            extensions_granted=row.extensions_granted,
            reject_reason=row.reject_reason,
            result=row.result,
            rating=row.rating,
            rating_comment=row.rating_comment,
            reopen_count=row.reopen_count,
            possible_duplicate_of=row.possible_duplicate_of,
            duplicate_of=row.duplicate_of,
            created_at=row.created_at,
            updated_at=row.updated_at,
            accepted_at=row.accepted_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
        )


def is_overdue(row: ServiceRequest, today: date) -> bool:
    """Past the deadline that runs now: to respond before acceptance, to resolve after it."""
    if not row.is_open or row.status == Status.RESOLVED:
        return False
    due = row.respond_due_on if row.status == Status.SUBMITTED else row.resolve_due_on
    return today > due


class EventRead(BaseModel):
    id: str
    action: str
    action_label: str
    from_status: str | None
    to_status: str | None
    actor_subject: str
    actor_name: str | None
    actor_role: str
    note: str | None
    data: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, row: RequestEvent) -> EventRead:
        return cls(
            id=row.id,
            action=row.action,
            action_label=ACTION_LABELS.get(row.action, row.action),
            from_status=row.from_status,
            to_status=row.to_status,
            actor_subject=row.actor_subject,
            actor_name=row.actor_name,
            actor_role=row.actor_role,
            note=row.note,
            data=dict(row.data or {}),
            at=row.at,
        )


class RequestDetail(RequestRead):
    timeline: list[EventRead]
    attachments: list[AttachmentRead]


class AttachmentRead(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    created_at: datetime


RequestDetail.model_rebuild()
