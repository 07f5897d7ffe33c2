"""HTTP routes of the registry (HTTP only: parsing, status codes, headers)."""

from fastapi import APIRouter

from zhdj_registry.routers.alliance_support import router as alliance_support_router
from zhdj_registry.routers.alliance_vocabulary import router as alliance_vocabulary_router
from zhdj_registry.routers.alliances import router as alliances_router
from zhdj_registry.routers.alliances import sites_router as demonstration_sites_router
from zhdj_registry.routers.grids import grids_router, households_router
from zhdj_registry.routers.imports import exports_router, imports_router
from zhdj_registry.routers.lookups import router as lookups_router
from zhdj_registry.routers.members import router as members_router
from zhdj_registry.routers.organizations import router as organizations_router
from zhdj_registry.routers.positions import router as positions_router
from zhdj_registry.routers.search import router as search_router
from zhdj_registry.routers.statistics import router as statistics_router
from zhdj_registry.routers.units import coverage_router
from zhdj_registry.routers.units import router as units_router
from zhdj_registry.routers.venues import links_router as venue_links_router
from zhdj_registry.routers.venues import router as venues_router
from zhdj_registry.routers.vocabulary import router as vocabulary_router
from zhdj_registry.routers.volunteer_teams import router as volunteer_teams_router

ROUTERS: list[APIRouter] = [
    grids_router,
    households_router,
    imports_router,
    exports_router,
    organizations_router,
    search_router,
    vocabulary_router,
    units_router,
    coverage_router,
    members_router,
    positions_router,
    alliances_router,
    alliance_support_router,
    demonstration_sites_router,
    venues_router,
    venue_links_router,
    volunteer_teams_router,
    alliance_vocabulary_router,
    statistics_router,
    lookups_router,
]
