"""The activity service's app: for now only the platform's health, readiness and metrics.

Its routers (under ``/api/activity/``) land with the service's issues.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from zhdj_activity.settings import ActivitySettings
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.security.tokens import TokenVerifier

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(
    settings: ActivitySettings | None = None,
    *,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    """The activity app; tests pass their own ``database`` and ``token_verifier``."""
    return create_service_app(
        title="智慧党建 activity service",
        description=(
            "Placeholder: answers /healthz, /readyz and /metrics. "
            "The activity API lands with the service's issues."
        ),
        settings=settings or ActivitySettings(),
        routers=[],
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        token_verifier=token_verifier,
    )
