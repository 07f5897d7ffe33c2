"""The assessment service's app factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from zhdj_assessment.demo import load_demo
from zhdj_assessment.models.base import MOVES_CURSOR
from zhdj_assessment.moves import COPIED_PATHS
from zhdj_assessment.routers import ROUTERS
from zhdj_assessment.settings import AssessmentSettings
from zhdj_assessment.sources import Sources
from zhdj_shared.app import create_service_app
from zhdj_shared.cache import RecentResults
from zhdj_shared.db import Database
from zhdj_shared.moves import follow_moves
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.tokens import TokenVerifier

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
logger = logging.getLogger(__name__)


async def _load_demo(app: FastAPI) -> None:
    database: Database = app.state.database
    async for session in database.unit_of_work():
        added = await load_demo(session)
        if added:
            logger.info("demo data loaded", extra={"fields": {"cycles": added}})


def create_app(
    settings: AssessmentSettings | None = None,
    *,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
    registry: RegistryClient | None = None,
    sources: Sources | None = None,
) -> FastAPI:
    """The assessment app; tests pass their own database, verifier and sources (or only a
    registry, the other sources then being the gateway)."""
    settings = settings or AssessmentSettings()
    reads = sources or Sources.from_settings(settings, registry)

    async def _close_sources(_app: FastAPI) -> None:
        await reads.aclose()

    # The registry's moves, onto the targets' paths (who sees a result; every serving process).
    start_moves, stop_moves = follow_moves(MOVES_CURSOR, COPIED_PATHS)

    app = create_service_app(
        title="Assessment 考核评价",
        description="Indicator systems (融合党建工作标准体系), assessment cycles, automatic scores "
        "from the other services' statistics with their evidence, manual scores, grades, "
        "rankings, rectification and incentive lists, feedback and appeals.",
        settings=settings,
        routers=ROUTERS,
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        token_verifier=token_verifier,
        on_setup=[_load_demo] if settings.load_demo_data else [],
        on_startup=[start_moves],
        on_shutdown=[stop_moves, _close_sources],
    )
    app.state.sources = reads
    app.state.registry = reads.registry
    app.state.dashboard_results = RecentResults[Any](settings.dashboard_cache_seconds)
    return app
