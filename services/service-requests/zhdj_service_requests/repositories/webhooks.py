"""Queries on webhook subscriptions, the outbox's events and deliveries, and the attempt log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models.webhooks import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor

Row = WebhookSubscription | WebhookEvent | WebhookDelivery | WebhookAttempt
# Read by every recorded event: built once.
_ACTIVE_SUBSCRIPTIONS = select(WebhookSubscription).where(col(WebhookSubscription.active).is_(True))


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Row) -> None:
        self.session.add(row)

    async def delete(self, row: Row) -> None:
        await self.session.delete(row)

    async def flush(self) -> None:
        await self.session.flush()

    # Subscriptions

    async def active_subscriptions(self) -> Sequence[WebhookSubscription]:
        return (await self.session.exec(_ACTIVE_SUBSCRIPTIONS)).all()

    async def subscription(self, subscription_id: str) -> WebhookSubscription | None:
        return await self.session.get(WebhookSubscription, subscription_id)

    async def subscriptions_page(
        self, client_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[WebhookSubscription], str | None]:
        query = select(WebhookSubscription).where(col(WebhookSubscription.client_id) == client_id)
        if cursor:
            query = query.where(
                after_cursor([col(WebhookSubscription.id)], decode_cursor(cursor, 1))
            )
        query = query.order_by(col(WebhookSubscription.id)).limit(limit + 1)
        rows = (await self.session.exec(query)).all()
        return build_page(rows, limit, lambda s: [s.id])

    # Deliveries

    async def delivery(
        self, subscription_id: str, delivery_id: str
    ) -> tuple[WebhookDelivery, WebhookEvent] | None:
        query = (
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
            .where(
                col(WebhookDelivery.id) == delivery_id,
                col(WebhookDelivery.subscription_id) == subscription_id,
            )
        )
        row = (await self.session.exec(query)).first()
        return (row[0], row[1]) if row is not None else None

    async def deliveries_page(
        self, subscription_id: str, status: str | None, *, limit: int, cursor: str | None
    ) -> tuple[list[tuple[WebhookDelivery, WebhookEvent]], str | None]:
        """Newest first (ids are time-ordered)."""
        query = (
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
            .where(col(WebhookDelivery.subscription_id) == subscription_id)
        )
        if status is not None:
            query = query.where(col(WebhookDelivery.status) == status)
        if cursor:
            query = query.where(col(WebhookDelivery.id) < str(decode_cursor(cursor, 1)[0]))
        query = query.order_by(col(WebhookDelivery.id).desc()).limit(limit + 1)
        rows = [(d, e) for d, e in (await self.session.exec(query)).all()]
        return build_page(rows, limit, lambda row: [row[0].id])

    async def attempts(self, delivery_id: str) -> Sequence[WebhookAttempt]:
        query = (
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id) == delivery_id)
            .order_by(col(WebhookAttempt.number))
        )
        return (await self.session.exec(query)).all()

    async def claim_due(
        self, now: datetime, limit: int
    ) -> Sequence[tuple[WebhookDelivery, WebhookEvent, WebhookSubscription]]:
        """Pending deliveries due by ``now`` of active subscriptions, locked for this worker.

        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL lets replicas claim disjoint batches; SQLite
        has no row locks (SQLAlchemy drops the clause) and runs a single worker.
        """
        query = (
            select(WebhookDelivery, WebhookEvent, WebhookSubscription)
            .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
            .join(
                WebhookSubscription,
                col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
            )
            .where(
                col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                col(WebhookDelivery.next_attempt_at) <= now,
                col(WebhookSubscription.active).is_(True),
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
        return [(d, e, s) for d, e, s in (await self.session.exec(query)).all()]

    async def delivery_by_id(self, delivery_id: str) -> WebhookDelivery | None:
        return await self.session.get(WebhookDelivery, delivery_id)

    async def count_deliveries(self, status: str) -> int:
        query = select(func.count()).where(col(WebhookDelivery.status) == status)
        return int((await self.session.exec(query)).one())
