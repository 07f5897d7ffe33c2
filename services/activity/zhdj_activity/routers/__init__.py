"""HTTP routes of the activity service (HTTP only: parsing, status codes, headers)."""

from fastapi import APIRouter

from zhdj_activity.routers.activities import router as activities_router
from zhdj_activity.routers.activities import types_router
from zhdj_activity.routers.attachments import router as attachments_router
from zhdj_activity.routers.attendance import router as attendance_router
from zhdj_activity.routers.bookings import router as bookings_router
from zhdj_activity.routers.reports import router as reports_router

ROUTERS: list[APIRouter] = [
    types_router,
    activities_router,
    attendance_router,
    attachments_router,
    reports_router,
    bookings_router,
]
