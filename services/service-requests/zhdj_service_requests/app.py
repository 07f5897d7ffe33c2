"""The service-requests service's app factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from fastapi import FastAPI

from zhdj_service_requests.demo import load_demo
from zhdj_service_requests.models.base import BLOBS, MOVES_CURSOR
from zhdj_service_requests.moves import COPIED_PATHS
from zhdj_service_requests.routers import ROUTERS
from zhdj_service_requests.services.escalation import run_escalation_loop
from zhdj_service_requests.services.webhook_delivery import (
    start_webhook_worker,
    stop_webhook_worker,
)
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.app import StartupHook, create_service_app
from zhdj_shared.db import Database
from zhdj_shared.moves import follow_moves
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.tokens import TokenVerifier
from zhdj_shared.storage import BlobStore, blob_store_from_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
logger = logging.getLogger(__name__)


async def _load_demo(app: FastAPI) -> None:
    database: Database = app.state.database
    settings: ServiceRequestsSettings = app.state.settings
    async for session in database.unit_of_work():
        added = await load_demo(session, requests=settings.demo_requests)
        if any(added.values()):
            logger.info("demo data loaded", extra={"fields": added})


async def _start_escalation(app: FastAPI) -> None:
    interval = app.state.settings.escalation_interval_seconds
    if interval > 0:
        app.state.escalation_task = asyncio.create_task(run_escalation_loop(app, interval))


async def _stop(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, "escalation_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await app.state.registry.aclose()


def create_app(
    settings: ServiceRequestsSettings | None = None,
    *,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
    registry: RegistryClient | None = None,
    blobs: BlobStore | None = None,
) -> FastAPI:
    """The service-requests app; tests pass their own database, verifier, registry and store."""
    settings = settings or ServiceRequestsSettings()
    # Demo data once per start; the escalation sweep and the webhook worker in every serving
    # process (both claim their rows with SKIP LOCKED, so several processes share the work).
    setup: list[StartupHook] = [_load_demo] if settings.load_demo_data else []
    # The registry's moves, onto the requests' handling paths (in every serving process: each
    # has its own registry cache to clear; the cursor keeps them from undoing each other).
    start_moves, stop_moves = follow_moves(MOVES_CURSOR, COPIED_PATHS)
    app = create_service_app(
        title="Service requests 群众诉求",
        description="The service catalog (departments, items, procedures) and residents' "
        "requests from submission to rating: one-tap and call-style submission, dispatch, "
        "working-day deadlines, escalation and statistics.",
        settings=settings,
        routers=ROUTERS,
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        token_verifier=token_verifier,
        on_setup=setup,
        on_startup=[_start_escalation, start_webhook_worker, start_moves],
        on_shutdown=[stop_moves, stop_webhook_worker, _stop],
    )
    app.state.registry = registry or RegistryClient.from_settings(settings)
    app.state.blobs = blobs or blob_store_from_url(
        settings.storage_url or str(settings.platform.data_dir / "service-requests-blobs"),
        database=app.state.database,
        table=BLOBS,
    )
    return app
