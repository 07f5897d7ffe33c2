"""The activity service's app factory."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from zhdj_activity.demo import load_demo
from zhdj_activity.feeds import feed_key
from zhdj_activity.models.base import BLOBS, IDEMPOTENCY_KEYS, MOVES_CURSOR
from zhdj_activity.moves import COPIED_PATHS
from zhdj_activity.registry import forget_subtrees
from zhdj_activity.routers import ROUTERS
from zhdj_activity.settings import ActivitySettings
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.idempotency import purge_hooks
from zhdj_shared.moves import follow_moves
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.tokens import TokenVerifier
from zhdj_shared.storage import BlobStore, blob_store_from_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
logger = logging.getLogger(__name__)


async def _load_demo(app: FastAPI) -> None:
    database: Database = app.state.database
    async for session in database.unit_of_work():
        added = await load_demo(session)
        if added:
            logger.info("demo data loaded", extra={"fields": {"activities": added}})


def create_app(
    settings: ActivitySettings | None = None,
    *,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
    registry: RegistryClient | None = None,
    blobs: BlobStore | None = None,
) -> FastAPI:
    """The activity app; tests pass their own database, verifier, registry and blob store."""
    settings = settings or ActivitySettings()
    registry_client = registry or RegistryClient.from_settings(settings)

    async def _close_registry(_app: FastAPI) -> None:
        await registry_client.aclose()

    start_purge, stop_purge = purge_hooks(IDEMPOTENCY_KEYS)
    # The registry's moves, onto the activities' copied paths (every serving process).
    start_moves, stop_moves = follow_moves(MOVES_CURSOR, COPIED_PATHS, listeners=[forget_subtrees])

    app = create_service_app(
        title="Activity 党组织活动",
        description="Activities (三会一课, 主题党日, alliance meetings...), attendance, the "
        "tamper-evident full-process record, attachments, cadence compliance, venue bookings, "
        "volunteer hours, statistics and calendar feeds.",
        settings=settings,
        routers=ROUTERS,
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        token_verifier=token_verifier,
        on_setup=[_load_demo] if settings.load_demo_data else [],
        on_startup=[start_purge, start_moves],
        on_shutdown=[stop_moves, stop_purge, _close_registry],
    )
    app.state.registry = registry_client
    app.state.blobs = blobs or blob_store_from_url(
        settings.resolved_storage_url(), database=app.state.database, table=BLOBS
    )
    app.state.calendar_key = feed_key(settings)
    return app
