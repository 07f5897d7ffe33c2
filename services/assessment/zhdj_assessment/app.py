"""The assessment service's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from zhdj_assessment.routers import ROUTERS
from zhdj_assessment.settings import AssessmentSettings
from zhdj_assessment.sources import Sources
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.tokens import TokenVerifier

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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
        on_shutdown=[_close_sources],
    )
    app.state.sources = reads
    app.state.registry = reads.registry
    return app
