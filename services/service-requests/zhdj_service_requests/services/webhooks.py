"""Webhook subscriptions: who may subscribe, to what, and who may see a subscription.

A subscription belongs to the OAuth client of the caller's token (``client_id``); only that
client sees, changes or deletes it (any other caller gets 404: another client's subscriptions
are not even confirmed to exist). Users (residents, staff) do not subscribe: 403.
"""

from __future__ import annotations

import base64
import secrets

from zhdj_service_requests.models.webhooks import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from zhdj_service_requests.repositories.webhooks import WebhookRepository
from zhdj_service_requests.schemas.webhooks import SubscriptionCreate, SubscriptionUpdate
from zhdj_service_requests.services.access import is_staff
from zhdj_service_requests.services.destinations import check_url
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Forbidden, NotFound
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role


def new_secret() -> str:
    """``whsec_`` + base64 of 24 random bytes (Standard Webhooks)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def client_of(principal: Principal) -> str:
    if principal.kind != "client" or not principal.client_id:
        raise Forbidden("webhook subscriptions belong to OAuth clients (client credentials)")
    return principal.client_id


class WebhookService:
    def __init__(self, repository: WebhookRepository, *, production: bool) -> None:
        self.repository = repository
        self.production = production

    async def create(self, principal: Principal, body: SubscriptionCreate) -> WebhookSubscription:
        client_id = client_of(principal)
        check_url(body.url, production=self.production)
        subscription = WebhookSubscription(
            client_id=client_id,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            secret=new_secret(),
            # The client's visibility as services/access.py judges it, frozen for delivery time.
            orgs=sorted(principal.orgs) if is_staff(principal) else [],
            sees_all=principal.is_admin or Role.SERVICE in principal.roles,
            created_by=principal.subject,
        )
        self.repository.add(subscription)
        await self.repository.flush()
        return subscription

    async def get(self, principal: Principal, subscription_id: str) -> WebhookSubscription:
        client_id = client_of(principal)
        subscription = await self.repository.subscription(subscription_id)
        if subscription is None or subscription.client_id != client_id:
            raise NotFound("no such webhook subscription")
        return subscription

    async def list_page(
        self, principal: Principal, page: PageParams
    ) -> tuple[list[WebhookSubscription], str | None]:
        return await self.repository.subscriptions_page(
            client_of(principal), limit=page.limit, cursor=page.cursor
        )

    async def update(
        self, principal: Principal, subscription_id: str, body: SubscriptionUpdate
    ) -> WebhookSubscription:
        subscription = await self.get(principal, subscription_id)
        if body.url is not None:
            check_url(body.url, production=self.production)
            subscription.url = body.url
        if body.event_types is not None:
            subscription.event_types = list(body.event_types)
        if "description" in body.model_fields_set:
            subscription.description = body.description
        if body.active is not None:
            subscription.active = body.active
        subscription.updated_at = utcnow()
        self.repository.add(subscription)
        await self.repository.flush()
        return subscription

    async def delete(self, principal: Principal, subscription_id: str) -> None:
        """Deletes its deliveries and their log too (the database cascades)."""
        subscription = await self.get(principal, subscription_id)
        await self.repository.delete(subscription)
        await self.repository.flush()

    async def deliveries(
        self, principal: Principal, subscription_id: str, status: str | None, page: PageParams
    ) -> tuple[list[tuple[WebhookDelivery, WebhookEvent]], str | None]:
        await self.get(principal, subscription_id)
        return await self.repository.deliveries_page(
            subscription_id, status, limit=page.limit, cursor=page.cursor
        )

    async def delivery(
        self, principal: Principal, subscription_id: str, delivery_id: str
    ) -> tuple[WebhookDelivery, WebhookEvent]:
        await self.get(principal, subscription_id)
        found = await self.repository.delivery(subscription_id, delivery_id)
        if found is None:
            raise NotFound("no such delivery")
        return found

    async def attempts(
        self, principal: Principal, subscription_id: str, delivery_id: str
    ) -> list[WebhookAttempt]:
        delivery, _event = await self.delivery(principal, subscription_id, delivery_id)
        return list(await self.repository.attempts(delivery.id))

    async def redeliver(
        self, principal: Principal, subscription_id: str, delivery_id: str
    ) -> tuple[WebhookDelivery, WebhookEvent]:
        """Send again as soon as the worker runs, with a fresh round of attempts."""
        delivery, event = await self.delivery(principal, subscription_id, delivery_id)
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
        self.repository.add(delivery)
        await self.repository.flush()
        return delivery, event
