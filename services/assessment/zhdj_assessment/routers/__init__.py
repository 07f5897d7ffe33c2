"""HTTP routes of the assessment service (HTTP only: parsing, status codes, headers)."""

from fastapi import APIRouter

from zhdj_assessment.routers.cycles import router as cycles_router
from zhdj_assessment.routers.dashboards import router as dashboards_router
from zhdj_assessment.routers.reports import router as reports_router
from zhdj_assessment.routers.systems import router as systems_router

ROUTERS: list[APIRouter] = [systems_router, cycles_router, reports_router, dashboards_router]
