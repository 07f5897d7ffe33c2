"""``/api/service-requests/webhooks``: subscriptions of OAuth clients, deliveries, attempts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, Security, status

from zhdj_service_requests.repositories.webhooks import WebhookRepository
from zhdj_service_requests.schemas.webhooks import (
    EVENT_TYPES,
    AttemptRead,
    DeliveryRead,
    EventTypeRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)
from zhdj_service_requests.services.webhooks import WebhookService
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page, PageParams, page_params
from zhdj_shared.security.authz import Principal, current_principal
from zhdj_shared.security.scopes import Scope

PREFIX = "/api/service-requests/webhooks"
router = APIRouter(prefix=PREFIX, tags=["webhooks"])

# Subscribing to events is reading them: ``requests:read`` is enough.
Subscriber = Annotated[Principal, Security(current_principal, scopes=[Scope.REQUESTS_READ])]
Id = Annotated[str, Path(max_length=64)]
Paging = Annotated[PageParams, Depends(page_params)]


async def webhook_service(request: Request, session: SessionDep) -> WebhookService:
    production = request.app.state.settings.platform.env == "production"
    return WebhookService(WebhookRepository(session), production=production)


Webhooks = Annotated[WebhookService, Depends(webhook_service)]


@router.get("/event-types", summary="Event types one can subscribe to")
async def event_types(_principal: Subscriber) -> list[EventTypeRead]:
    return [EventTypeRead(type=t, label_zh=label) for t, label in EVENT_TYPES.items()]


@router.post(
    "/subscriptions",
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe the caller's OAuth client; the signing secret is shown only here",
    responses=problem_responses(403, 422),
)
async def create_subscription(
    body: SubscriptionCreate, principal: Subscriber, service: Webhooks, response: Response
) -> SubscriptionCreated:
    subscription = await service.create(principal, body)
    response.headers["Location"] = f"{PREFIX}/subscriptions/{subscription.id}"
    return SubscriptionCreated.created(subscription)


@router.get(
    "/subscriptions",
    summary="The caller's client's subscriptions",
    responses=problem_responses(403),
)
async def list_subscriptions(
    principal: Subscriber, service: Webhooks, page: Paging
) -> Page[SubscriptionRead]:
    rows, next_cursor = await service.list_page(principal, page)
    return Page(items=[SubscriptionRead.of(s) for s in rows], next_cursor=next_cursor)


@router.get(
    "/subscriptions/{subscription_id}",
    summary="One subscription of the caller's client",
    responses=problem_responses(403, 404),
)
async def get_subscription(
    subscription_id: Id, principal: Subscriber, service: Webhooks
) -> SubscriptionRead:
    return SubscriptionRead.of(await service.get(principal, subscription_id))


@router.patch(
    "/subscriptions/{subscription_id}",
    summary="Change a subscription; active=false disables it",
    responses=problem_responses(403, 404, 422),
)
async def update_subscription(
    subscription_id: Id, body: SubscriptionUpdate, principal: Subscriber, service: Webhooks
) -> SubscriptionRead:
    return SubscriptionRead.of(await service.update(principal, subscription_id, body))


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subscription with its deliveries",
    responses=problem_responses(403, 404),
)
async def delete_subscription(
    subscription_id: Id, principal: Subscriber, service: Webhooks
) -> Response:
    await service.delete(principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    summary="Deliveries of a subscription, newest first",
    responses=problem_responses(403, 404),
)
async def list_deliveries(
    subscription_id: Id,
    principal: Subscriber,
    service: Webhooks,
    page: Paging,
    delivery_status: Annotated[
        Literal["pending", "delivered", "failed"] | None, Query(alias="status")
    ] = None,
) -> Page[DeliveryRead]:
    rows, next_cursor = await service.deliveries(principal, subscription_id, delivery_status, page)
    return Page(items=[DeliveryRead.of(d, e) for d, e in rows], next_cursor=next_cursor)


@router.get(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}",
    summary="One delivery",
    responses=problem_responses(403, 404),
)
async def get_delivery(
    subscription_id: Id, delivery_id: Id, principal: Subscriber, service: Webhooks
) -> DeliveryRead:
    return DeliveryRead.of(*await service.delivery(principal, subscription_id, delivery_id))


@router.get(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}/attempts",
    summary="The delivery log: every attempt with status code, duration and error",
    responses=problem_responses(403, 404),
)
async def list_attempts(
    subscription_id: Id, delivery_id: Id, principal: Subscriber, service: Webhooks
) -> list[AttemptRead]:
    rows = await service.attempts(principal, subscription_id, delivery_id)
    return [AttemptRead.of(a) for a in rows]


@router.post(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again (a new round of attempts)",
    responses=problem_responses(403, 404),
)
async def redeliver(
    subscription_id: Id, delivery_id: Id, principal: Subscriber, service: Webhooks
) -> DeliveryRead:
    return DeliveryRead.of(*await service.redeliver(principal, subscription_id, delivery_id))
