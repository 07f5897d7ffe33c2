"""Webhook subscriptions and the outbox: events, one delivery per subscriber, the attempt log.

The outbox is written in the same transaction as the change it describes (``record_event``), so
an event exists exactly when its change was committed; a worker delivers it afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text
from sqlmodel import Field

from zhdj_service_requests.models.base import ServiceRequestsModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class DeliveryStatus:
    PENDING = "pending"  # due at next_attempt_at (also while a worker holds its lease)
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # every attempt failed; a redelivery makes it pending again


class WebhookSubscription(ServiceRequestsModel, table=True):
    __tablename__ = "webhook_subscriptions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    client_id: str = Field(max_length=128, index=True)
    url: str = Field(max_length=2048)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    description: str | None = Field(default=None, max_length=500)
    # Standard Webhooks secret (``whsec_`` + base64). Kept readable: the sender signs with it.
    secret: str = Field(max_length=128)
    # What the client could see when it subscribed (its token's organizations, and whether it
    # acts everywhere); events outside that never reach it.
    orgs: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    sees_all: bool = False
    active: bool = True
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class WebhookEvent(ServiceRequestsModel, table=True):
    """One change, as sent: the body is serialized once so every attempt signs the same bytes."""

    __tablename__ = "webhook_events"

    # Also the ``webhook-id`` header: receivers deduplicate on it across retries.
    id: str = Field(default_factory=lambda: f"msg_{new_id()}", primary_key=True, max_length=64)
    event_type: str = Field(max_length=64, index=True)
    request_id: str = Field(max_length=64, index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class WebhookDelivery(ServiceRequestsModel, table=True):
    __tablename__ = "webhook_deliveries"
    # The worker's claim: pending rows by due time.
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    event_id: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("webhook_events.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    )
    subscription_id: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    )
    event_type: str = Field(max_length=64)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = 0  # since it was last scheduled (a redelivery starts a new round)
    total_attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class WebhookAttempt(ServiceRequestsModel, table=True):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    delivery_id: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    )
    number: int
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    duration_ms: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
