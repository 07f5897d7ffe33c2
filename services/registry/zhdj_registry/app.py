"""The registry's app factory."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from zhdj_registry.demo import load_demo
from zhdj_registry.routers import ROUTERS
from zhdj_registry.settings import RegistrySettings
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.security.tokens import TokenVerifier

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
logger = logging.getLogger(__name__)


async def _load_demo(app: FastAPI) -> None:
    database: Database = app.state.database
    async for session in database.unit_of_work():
        added = await load_demo(session)
        if any(added.values()):
            logger.info("demo data loaded", extra={"fields": added})


def create_app(
    settings: RegistrySettings | None = None,
    *,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    settings = settings or RegistrySettings()
    return create_service_app(
        title="Registry 党组织登记",
        description="Organizations, units and coverage, members, alliances, venues, volunteer "
        "teams and community grids of the smart party-building platform.",
        settings=settings,
        routers=ROUTERS,
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        token_verifier=token_verifier,
        on_setup=[_load_demo] if settings.load_demo_data else [],
    )
