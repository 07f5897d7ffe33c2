"""The assessment service's app: for now only the platform's health, readiness and metrics.

Its routers (under ``/api/assessment/``) land with the service's issues.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from zhdj_assessment.settings import AssessmentSettings
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.security.tokens import TokenVerifier

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(
    settings: AssessmentSettings | None = None,
    *,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    """The assessment app; tests pass their own ``database`` and ``token_verifier``."""
    return create_service_app(
        title="智慧党建 assessment service",
        description=(
            "Placeholder: answers /healthz, /readyz and /metrics. "
            "The assessment API lands with the service's issues."
        ),
        settings=settings or AssessmentSettings(),
        routers=[],
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        token_verifier=token_verifier,
    )
