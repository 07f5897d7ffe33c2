"""HTTP routes of the service-requests service (HTTP only: parsing, status codes, headers).

One list, ``ROUTERS``; parts developed side by side each append their own.
"""

from fastapi import APIRouter

from zhdj_service_requests.routers.catalog import calendar_router
from zhdj_service_requests.routers.catalog import router as catalog_router
from zhdj_service_requests.routers.open311 import router as open311_router
from zhdj_service_requests.routers.requests import router as requests_router
from zhdj_service_requests.routers.statistics import router as statistics_router
from zhdj_service_requests.routers.webhooks import router as webhooks_router

ROUTERS: list[APIRouter] = [
    catalog_router,
    calendar_router,
    requests_router,
    statistics_router,
    webhooks_router,
    open311_router,
]
