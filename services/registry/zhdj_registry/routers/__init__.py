"""HTTP routes of the registry (HTTP only: parsing, status codes, headers)."""

from fastapi import APIRouter

from zhdj_registry.routers.organizations import router as organizations_router
from zhdj_registry.routers.vocabulary import router as vocabulary_router

ROUTERS: list[APIRouter] = [organizations_router, vocabulary_router]
