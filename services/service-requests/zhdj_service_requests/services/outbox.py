"""The webhook outbox: an event is written in the caller's transaction, delivered later.

``record_event`` is called by the request workflow right where a change happens, inside the
same unit of work. It inserts the event and one pending delivery per matching subscription, and
does no network IO: if the transaction rolls back, the event never existed; if it commits, the
delivery worker (``services/webhook_delivery.py``) sends it, however long the receiver is down.

Which subscriptions see an event: exactly the requests its client could read through the API
(``services/access.py``), judged with the client's token as it was when it subscribed:

* a third-party client: the requests it submitted itself;
* a client with a staff role: also the requests handled by an organization it acted for, or
  one below it (the handling organization's materialized path);
* an administrator or platform-service client: every request.

A subscription made before a client gained organizations does not gain them: subscribe anew.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models.requests import ServiceRequest
from zhdj_service_requests.models.webhooks import (
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from zhdj_service_requests.repositories.webhooks import WebhookRepository
from zhdj_shared.db import utcnow

WILDCARD = "*"

# Event types are past tense (``request.accepted``); a workflow action's name is accepted too
# and stored under its event type, so subscribers see one stable vocabulary.
_PAST_TENSE = {
    "submit": "submitted",
    "cancel": "cancelled",
    "accept": "accepted",
    "reject": "rejected",
    "dispatch": "dispatched",
    "transfer": "transferred",
    "send_back": "returned",
    "start": "started",
    "resolve": "resolved",
    "rate": "rated",
    "close": "closed",
    "reopen": "reopened",
    "escalate": "escalated",
    "request_extension": "extension_requested",
    "link_duplicate": "linked_duplicate",
}


def canonical_type(event_type: str) -> str:
    family, _, name = event_type.partition(".")
    return f"{family}.{_PAST_TENSE.get(name, name)}" if name else event_type


@dataclass(frozen=True)
class RequestScope:
    """What decides who may see a request's events."""

    request_id: str
    client_id: str | None
    org_ids: frozenset[str]


def scope_of(request: ServiceRequest) -> RequestScope:
    """The submitting client, and the handling organization's ancestry (its materialized
    path): the same facts ``services/access.py`` decides a caller's visibility on."""
    org_ids = frozenset(part for part in request.handling_path.split("/") if part)
    return RequestScope(request.id, request.submitted_client_id, org_ids)


def type_matches(patterns: Iterable[str], event_type: str) -> bool:
    """``*`` is every event; ``request.*`` every event of that family; else an exact type."""
    for pattern in patterns:
        if pattern in (WILDCARD, event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def sees(subscription: WebhookSubscription, scope: RequestScope) -> bool:
    if subscription.sees_all:
        return True
    if scope.client_id is not None and scope.client_id == subscription.client_id:
        return True
    return not scope.org_ids.isdisjoint(subscription.orgs)


def envelope(event_id: str, event_type: str, at: datetime, data: dict[str, Any]) -> str:
    """The Standard Webhooks payload shape: ``type``, ``timestamp``, ``data``."""
    body = {"id": event_id, "type": event_type, "timestamp": at.isoformat(), "data": data}
    return orjson.dumps(body, default=str).decode()


async def record_event(
    session: AsyncSession,
    *,
    event_type: str,
    request: ServiceRequest,
    payload: dict[str, Any] | Callable[[], dict[str, Any]],
    subscribed: bool | None = None,
) -> None:
    """Record ``event_type`` about ``request`` in the caller's transaction (no network here).

    ``payload`` must not carry residents' personal data unmasked: subscribers are third
    parties (the workflow passes the request's masked view). Nothing is written when no
    subscription wants the event, so without subscribers the hot submission path costs one
    read of the (small) subscriptions table. ``payload`` may be a function: it is called only
    when a subscription wants the event. ``subscribed=False``: the caller read, earlier in
    this transaction, that no subscription is active (a submission asks along with its
    number), so there is nothing to read.
    """
    if subscribed is False:
        return
    event_type = canonical_type(event_type)
    scope = scope_of(request)
    repository = WebhookRepository(session)
    targets = [
        s
        for s in await repository.active_subscriptions()
        if type_matches(s.event_types, event_type) and sees(s, scope)
    ]
    if not targets:
        return
    if callable(payload):
        payload = payload()
    now = utcnow()
    event = WebhookEvent(event_type=event_type, request_id=scope.request_id, body="")
    event.body = envelope(event.id, event_type, now, {"request_id": scope.request_id, **payload})
    repository.add(event)
    # No ORM relationship orders the inserts: the event row must exist before its deliveries.
    await session.flush()
    for subscription in targets:
        repository.add(
            WebhookDelivery(
                event_id=event.id,
                subscription_id=subscription.id,
                event_type=event_type,
                next_attempt_at=now,
            )
        )
    await session.flush()
