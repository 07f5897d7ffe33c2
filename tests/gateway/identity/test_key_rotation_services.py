"""A rotation as a service sees it: the real registry app, its real ``TokenVerifier`` fetching the
gateway's JWKS over HTTP (the identity app served by uvicorn), with the cache and refetch
cool-down every service has (``ZHDJ_JWKS_CACHE_SECONDS``, 30 s).

When a new key signed at once, a service that had fetched the JWKS shortly before refused every
new token until its cool-down allowed a refetch (401 for up to 30 s after each rotation). Now the
key is published first and signs only after the publication delay, longer than the services'
cache, so every token is accepted throughout.

Time is moved, not waited for: one clock drives the gateway's key schedule and the service's
cache (``KeyStore.clock``, ``JwksCache(clock=...)``). Tokens themselves carry real times.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import httpx
import jwt as pyjwt

from tests.gateway.identity.conftest import Harness, make_settings, running
from tests.gateway.identity.test_tokens import MovingClock
from tests.support.serving import serve
from zhdj_registry.app import create_app as create_registry_app
from zhdj_registry.settings import RegistrySettings
from zhdj_shared.db import Database
from zhdj_shared.security.tokens import LEEWAY_SECONDS, JwksCache, TokenVerifier

ORGANIZATION = "/api/registry/organizations/demo-city"
STEP = 20.0  # seconds of moved time between two new tokens (under the 30 s refetch cool-down)


class ServiceClock:
    """The service's monotonic seconds, moved with the gateway's wall clock."""

    def __init__(self, wall: MovingClock) -> None:
        self.wall = wall
        self.start = wall.now

    def __call__(self) -> float:
        return (self.wall.now - self.start).total_seconds()


def _kid(token: str) -> str:
    return str(pyjwt.get_unverified_header(token)["kid"])


@asynccontextmanager
async def registry_service(
    jwks_url: str, harness: Harness, database: Database, clock: ServiceClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The registry app as deployed: its own JWKS cache of ZHDJ_JWKS_CACHE_SECONDS."""
    platform = harness.settings.platform
    verifier = TokenVerifier(
        JwksCache.from_url(jwks_url, ttl=platform.jwks_cache_seconds, clock=clock),
        issuer=platform.token_issuer,
        audience=platform.token_audience,
    )
    app = create_registry_app(
        RegistrySettings(migrate_on_start=False, load_demo_data=False),
        database=database,
        token_verifier=verifier,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        yield client


async def _answer(service: httpx.AsyncClient, token: str) -> httpx.Response:
    return await service.get(ORGANIZATION, headers={"Authorization": f"Bearer {token}"})


async def _new_token(harness: Harness) -> str:
    return (await harness.admin())["Authorization"].split()[1]


async def test_a_service_that_cached_the_jwks_accepts_every_token_through_a_rotation(
    harness: Harness, registry_demo_database: Database
) -> None:
    clock = MovingClock()
    harness.app.state.key_store.clock = clock
    service_clock = ServiceClock(clock)
    delay = harness.settings.effective_key_publish_seconds
    assert delay > harness.settings.platform.jwks_cache_seconds
    async with serve(harness.app, lifespan="off") as gateway_url:
        jwks_url = f"{gateway_url}/.well-known/jwks.json"
        async with registry_service(
            jwks_url, harness, registry_demo_database, service_clock
        ) as service:
            before = await _new_token(harness)
            old_kid = _kid(before)
            assert (await _answer(service, before)).status_code == 200  # JWKS fetched now

            admin = {"Authorization": f"Bearer {before}"}
            rotated = await harness.client.post("/auth/keys/rotate", headers=admin)
            assert rotated.status_code == 200, rotated.text
            (new_kid,) = {k["kid"] for k in rotated.json()["items"]} - {old_kid}

            # Through the delay and beyond, a new token every STEP seconds: every one is
            # accepted by the service whose JWKS predates the rotation.
            signed_by: list[tuple[float, str]] = []
            last_old = before
            moved = 0.0
            while moved < delay + 3 * STEP:
                clock.advance(STEP)
                moved += STEP
                token = await _new_token(harness)
                signed_by.append((moved, _kid(token)))
                answer = await _answer(service, token)
                assert answer.status_code == 200, (moved, _kid(token), answer.text)
                if _kid(token) == old_kid:
                    last_old = token
            # The old key signed until the delay had passed, the new one from then on.
            assert {kid for at, kid in signed_by if at < delay} == {old_kid}
            assert {kid for at, kid in signed_by if at >= delay} == {new_kid}

    # Tokens of the old key verify until the last one it signed has expired (the JWKS keeps
    # it that long after the switch), for a service starting now as for one running since.
    (old_row,) = [k for k in rotated.json()["items"] if k["kid"] == old_kid]
    grace = timedelta(seconds=harness.settings.access_token_ttl_seconds + LEEWAY_SECONDS)
    switch = service_clock.start + timedelta(seconds=delay)  # the rotation was at the start
    assert datetime.fromisoformat(old_row["retire_after"]) == switch + grace
    async with serve(harness.app, lifespan="off") as gateway_url:
        jwks_url = f"{gateway_url}/.well-known/jwks.json"
        clock.now = switch + grace - timedelta(seconds=1)
        async with registry_service(
            jwks_url, harness, registry_demo_database, ServiceClock(clock)
        ) as later:
            assert (await _answer(later, last_old)).status_code == 200
        clock.now = switch + grace
        async with registry_service(
            jwks_url, harness, registry_demo_database, ServiceClock(clock)
        ) as latest:
            refused = await _answer(latest, last_old)
            assert refused.status_code == 401
            assert "unknown signing key" in refused.text


async def test_without_a_publication_delay_a_service_refuses_new_tokens_for_a_while(
    gateway_database: Database, registry_demo_database: Database
) -> None:
    # The control: what the delay prevents (and what ZHDJ_GATEWAY_KEY_PUBLISH_SECONDS=0 does,
    # for an emergency rotation): the new key signs at once, and the service, which fetched its
    # JWKS a moment ago, refuses the new tokens until its refetch cool-down has passed.
    async with running(gateway_database, make_settings(key_publish_seconds=0)) as harness:
        clock = MovingClock()
        harness.app.state.key_store.clock = clock
        service_clock = ServiceClock(clock)
        async with serve(harness.app, lifespan="off") as gateway_url:
            jwks_url = f"{gateway_url}/.well-known/jwks.json"
            async with registry_service(
                jwks_url, harness, registry_demo_database, service_clock
            ) as service:
                before = await _new_token(harness)
                assert (await _answer(service, before)).status_code == 200
                rotated = await harness.client.post(
                    "/auth/keys/rotate", headers={"Authorization": f"Bearer {before}"}
                )
                assert rotated.status_code == 200, rotated.text
                clock.advance(STEP)
                after = await _new_token(harness)
                assert _kid(after) != _kid(before)
                refused = await _answer(service, after)
                assert refused.status_code == 401
                assert "unknown signing key" in refused.text
