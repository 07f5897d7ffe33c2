"""Every table of the service-requests service (importing this module registers them).

One import line per model module, so parts developed side by side each add their own line.
"""

from zhdj_service_requests.models.base import IDEMPOTENCY_KEYS, ServiceRequestsModel
from zhdj_service_requests.models.catalog import Category, Department, ServiceItem
from zhdj_service_requests.models.requests import (
    RequestAttachment,
    RequestCounter,
    RequestEvent,
    ServiceRequest,
)
from zhdj_service_requests.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "IDEMPOTENCY_KEYS",
    "Category",
    "Department",
    "RequestAttachment",
    "RequestCounter",
    "RequestEvent",
    "ServiceItem",
    "ServiceRequest",
    "ServiceRequestsModel",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
