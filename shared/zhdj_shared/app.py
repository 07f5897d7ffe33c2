"""The app factory every service uses, so each service's ``app.py`` only names its own parts."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI

from zhdj_shared.db import Database
from zhdj_shared.errors import install_handlers, problem_responses
from zhdj_shared.migrations import upgrade_async
from zhdj_shared.observability import (
    ReadinessCheck,
    configure_logging,
    health_router,
    install_observability,
)
from zhdj_shared.security.tokens import JwksCache, TokenVerifier
from zhdj_shared.settings import ServiceSettings, StartupWork

StartupHook = Callable[[FastAPI], Awaitable[None]]
logger = logging.getLogger("zhdj.startup")


def create_service_app(
    *,
    title: str,
    description: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    migrations_dir: Path,
    database: Database | None = None,
    token_verifier: TokenVerifier | None = None,
    on_setup: Sequence[StartupHook] = (),
    on_startup: Sequence[StartupHook] = (),
    on_shutdown: Sequence[StartupHook] = (),
    extra_readiness: dict[str, ReadinessCheck] | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """A FastAPI app with the platform's database, auth, errors, observability and health.

    ``database`` and ``token_verifier`` default to the settings' URL and the gateway's JWKS;
    tests pass their own.

    At start, after the migrations (``migrate_on_start``): ``on_setup`` hooks change the shared
    database (demo data, seeds) and run once per start, in the parent when several workers
    serve (``settings.startup_work``); ``on_startup`` hooks start what every serving process
    needs (background loops). ``on_shutdown`` hooks run in every process, whatever started.
    """
    platform = settings.platform
    configure_logging(platform.log_level, json_lines=platform.log_json)
    db = database or Database(
        settings.resolved_database_url(),
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )
    verifier = token_verifier or TokenVerifier(
        JwksCache.from_url(platform.effective_jwks_url, ttl=platform.jwks_cache_seconds),
        issuer=platform.token_issuer,
        audience=platform.token_audience,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        work = settings.startup_work
        if work is not StartupWork.SERVE_ONLY:
            if settings.migrate_on_start:
                await upgrade_async(migrations_dir, db.url)
                logger.info(
                    "migrations applied",
                    extra={"fields": {"service": settings.service_name, "pid": os.getpid()}},
                )
            for hook in on_setup:
                await hook(app)
        if work is not StartupWork.SETUP_ONLY:
            for hook in on_startup:
                await hook(app)
        yield
        for hook in on_shutdown:
            await hook(app)
        await db.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        # 400: a body that cannot be read at all (not UTF-8, broken multipart), as FastAPI answers.
        # 503: the database did not answer (zhdj_shared.errors), whatever the operation.
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    app.state.settings = settings
    app.state.database = db
    app.state.token_verifier = verifier
    install_handlers(app)
    for router in routers:
        app.include_router(router)
    metrics = install_observability(app, settings.service_name)  # added last: outermost
    app.include_router(health_router(metrics, {"database": db.ping, **(extra_readiness or {})}))
    return app
