"""The identity app: `/auth/*`, the JWKS, `/healthz`, `/readyz` and `/metrics`.

The edge (``zhdj_gateway.app``) wraps it and uses ``app.state.key_store`` (the JWKS),
``app.state.api_keys`` (API key -> access token), ``app.state.token_verifier`` and
``app.state.revocations`` (access tokens refused before they expire).
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from zhdj_gateway.identity.context import IdentityContext
from zhdj_gateway.identity.keys import KeyStore
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.revocations import Revocations
from zhdj_gateway.identity.routers import ROUTERS
from zhdj_gateway.identity.seed import bootstrap
from zhdj_gateway.identity.services.api_keys import ApiKeyExchange
from zhdj_gateway.identity.sessions import SessionSource, unit_of_work
from zhdj_gateway.identity.throttle import create_throttle
from zhdj_gateway.identity.tokens import TokenMinter
from zhdj_gateway.settings import GatewaySettings
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.observability import ReadinessCheck
from zhdj_shared.security.tokens import JwksCache, TokenVerifier
from zhdj_shared.settings import DEMO_SECRET_MARKER

logger = logging.getLogger("zhdj.gateway.identity")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
JWKS_TTL_SECONDS = 60
JWKS_COOLDOWN_SECONDS = 1


def _refuse_demo_secrets(settings: GatewaySettings) -> None:
    if settings.platform.env == "production" and settings.api_key_pepper.startswith(
        DEMO_SECRET_MARKER
    ):
        raise ValueError("gateway: set ZHDJ_GATEWAY_API_KEY_PEPPER (the demo value is refused)")


def _verifier(settings: GatewaySettings, key_store: KeyStore) -> TokenVerifier:
    """Verifies the gateway's own tokens straight from its key store (no HTTP)."""

    def keys() -> JwksCache:
        return JwksCache(fetch=key_store.jwks, ttl=JWKS_TTL_SECONDS, cooldown=JWKS_COOLDOWN_SECONDS)

    verifier = TokenVerifier(
        keys(),
        issuer=settings.platform.token_issuer,
        audience=settings.platform.token_audience,
    )

    def refetch() -> None:  # a key created in this process is usable at once
        verifier.keys = keys()

    key_store.on_change(refetch)
    return verifier


def create_identity_app(
    settings: GatewaySettings,
    *,
    database: Database | None = None,
    password_hasher: PasswordHasher | None = None,
) -> FastAPI:
    _refuse_demo_secrets(settings)
    db = database or Database(
        settings.resolved_database_url(),
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )
    sessions = SessionSource(unit_of_work(db))
    key_store = KeyStore(
        sessions,
        access_token_ttl=settings.access_token_ttl_seconds,
        publish_seconds=settings.effective_key_publish_seconds,
        configured_pem=settings.signing_key_pem,
    )
    minter = TokenMinter(
        key_store,
        issuer=settings.platform.token_issuer,
        audience=settings.platform.token_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    throttle = create_throttle(
        settings.redis_url, settings.login_max_failures, settings.login_failure_window_seconds
    )
    revocations = Revocations(sessions, token_ttl_seconds=settings.access_token_ttl_seconds)
    api_keys = ApiKeyExchange(sessions, minter, settings.api_key_pepper, revocations=revocations)
    context = IdentityContext(
        settings=settings,
        hasher=password_hasher or PasswordHasher.from_env(),
        sessions=sessions,
        key_store=key_store,
        minter=minter,
        throttle=throttle,
        api_keys=api_keys,
    )

    async def follow_revocations(_app: FastAPI) -> None:
        try:  # before the first request, when the database answers; the loop retries
            await revocations.read()
        except Exception:
            logger.exception("reading access revocations at start failed")
        revocations.start(settings.revocation_poll_seconds)

    async def close(_app: FastAPI) -> None:
        await revocations.stop()
        await throttle.close()

    readiness: dict[str, ReadinessCheck] = {"redis": throttle.ping} if settings.redis_url else {}
    app = create_service_app(
        title="智慧党建 gateway: identity",
        description="Users, roles, OAuth clients, API keys, the token endpoint and the JWKS.",
        settings=settings,
        routers=ROUTERS,
        migrations_dir=MIGRATIONS_DIR,
        database=db,
        token_verifier=_verifier(settings, key_store),
        on_setup=[bootstrap],  # keys are read from the database: nothing per process
        on_startup=[follow_revocations],
        on_shutdown=[close],
        extra_readiness=readiness,
    )
    app.state.identity = context
    app.state.key_store = key_store
    app.state.api_keys = api_keys
    app.state.revocations = revocations
    return app
