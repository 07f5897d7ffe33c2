"""The service-requests service's app: for now only the platform's health, readiness and metrics.

Its routers (under ``/api/service-requests/``) land with the service's issues.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.security.tokens import TokenVerifier

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(
    settings: ServiceRequestsSettings | None = None,
    *,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    """The service-requests app; tests pass their own ``database`` and ``token_verifier``."""
    return create_service_app(
        title="智慧党建 service-requests service",
        description=(
            "Placeholder: answers /healthz, /readyz and /metrics. "
            "The service-requests API lands with the service's issues."
        ),
        settings=settings or ServiceRequestsSettings(),
        routers=[],
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        token_verifier=token_verifier,
    )
