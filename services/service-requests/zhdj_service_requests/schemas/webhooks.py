"""Request and response shapes of ``/api/service-requests/webhooks``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, Field

from zhdj_service_requests.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

# The request workflow's events; ``*`` and ``request.*`` subscribe to all of them.
EVENT_TYPES: dict[str, str] = {
    "request.submitted": "提交诉求",
    "request.accepted": "受理",
    "request.rejected": "不予受理",
    "request.cancelled": "撤销",
    "request.dispatched": "派单",
    "request.transferred": "转办",
    "request.returned": "退单",
    "request.started": "开始办理",
    "request.resolved": "办结",
    "request.rated": "评价",
    "request.closed": "关闭",
    "request.reopened": "发回重办",
    "request.escalated": "催办 / 督办",
    "request.extension_requested": "申请延期",
    "request.extension_approved": "同意延期",
    "request.extension_denied": "不同意延期",
    "request.linked_duplicate": "关联重复诉求",
}
_EVENT_PATTERN = re.compile(r"^(\*|request\.\*|request\.[a-z][a-z_]{1,40})$")


def _event_types(values: list[str]) -> list[str]:
    for value in values:
        if not _EVENT_PATTERN.match(value):
            raise ValueError(f"unknown event type {value!r}: use '*', 'request.*' or request.<x>")
    return sorted(set(values))


EventTypes = Annotated[list[str], Field(min_length=1, max_length=32), AfterValidator(_event_types)]


class SubscriptionCreate(BaseModel):
    url: str = Field(max_length=2048, description="https (http only outside production)")
    event_types: EventTypes = Field(examples=[["request.*"], ["request.resolved"]])
    description: str | None = Field(default=None, max_length=500)


class SubscriptionUpdate(BaseModel):
    url: str | None = Field(default=None, max_length=2048)
    event_types: EventTypes | None = None
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = Field(default=None, description="false disables deliveries")


class SubscriptionRead(BaseModel):
    id: str
    client_id: str
    url: str
    event_types: list[str]
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> SubscriptionRead:
        return cls.model_validate(row, from_attributes=True)


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="Standard Webhooks signing secret; shown only once")

    @classmethod
    def created(cls, row: WebhookSubscription) -> SubscriptionCreated:
        return cls.model_validate(row, from_attributes=True)


class DeliveryRead(BaseModel):
    id: str
    event_id: str = Field(description="Also the webhook-id header")
    event_type: str
    subscription_id: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    total_attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: Any = Field(description="The body as sent")

    @classmethod
    def of(cls, delivery: WebhookDelivery, event: WebhookEvent) -> DeliveryRead:
        pending = delivery.status == "pending"
        return cls(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            subscription_id=delivery.subscription_id,
            status=delivery.status,
            attempts=delivery.attempts,
            total_attempts=delivery.total_attempts,
            next_attempt_at=delivery.next_attempt_at if pending else None,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            payload=orjson.loads(event.body),
        )


class AttemptRead(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @classmethod
    def of(cls, row: WebhookAttempt) -> AttemptRead:
        return cls.model_validate(row, from_attributes=True)


class EventTypeRead(BaseModel):
    type: str
    label_zh: str
