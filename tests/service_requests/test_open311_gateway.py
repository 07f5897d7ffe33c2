"""Open311 through the real gateway: an API key issued by ``POST /auth/api-keys`` is exchanged
at the edge (query or form ``api_key``) for its client's token, which the service verifies
against the gateway's JWKS. Real sockets throughout: the gateway and the service each under
uvicorn, ``georeport`` and httpx as the third party.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from georeport import GeoReport
from starlette.types import ASGIApp

from tests.service_requests.test_open311 import COMMUNITY, ITEM, serve
from tests.support.databases import migrated_url
from zhdj_gateway.app import create_app as create_gateway
from zhdj_gateway.identity.app import MIGRATIONS_DIR as IDENTITY_MIGRATIONS
from zhdj_gateway.settings import GatewaySettings
from zhdj_service_requests.app import MIGRATIONS_DIR, create_app
from zhdj_service_requests.catalog_seed import load_catalog
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.db import Database
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.tokens import JwksCache, TokenVerifier

ADMIN_PASSWORD = "Admin-pass-2026"
BASE = "/open311/v2"


@asynccontextmanager
async def platform(backend: str, tmp_path: Path, registry: RegistryClient) -> AsyncIterator[str]:
    """The gateway (real identity, own database) in front of the service; yields its URL."""
    sr_database = Database(await migrated_url("sr-open311-gw", backend, MIGRATIONS_DIR, tmp_path))
    async for session in sr_database.unit_of_work():
        await load_catalog(session)
    identity_database_url = await migrated_url(
        "sr-open311-gw-identity", backend, IDENTITY_MIGRATIONS, tmp_path
    )
    sr_settings = ServiceRequestsSettings(
        migrate_on_start=False,
        load_demo_data=False,
        escalation_interval_seconds=0,
        webhook_poll_seconds=0,
    )
    # The service trusts the gateway's JWKS, fetched over HTTP once the gateway listens.
    gateway_address: list[str] = []

    async def fetch_jwks() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(f"{gateway_address[0]}/.well-known/jwks.json")
            jwks: dict[str, Any] = response.json()
            return jwks

    verifier = TokenVerifier(
        JwksCache(fetch_jwks),
        issuer=sr_settings.platform.token_issuer,
        audience=sr_settings.platform.token_audience,
    )
    service = create_app(
        sr_settings, database=sr_database, token_verifier=verifier, registry=registry
    )
    async with serve(service) as service_url, _disposed(sr_database):
        gateway = create_gateway(
            GatewaySettings(
                database_url=identity_database_url,
                migrate_on_start=False,
                load_demo_data=False,
                redis_url=None,
                ZHDJ_ADMIN_PASSWORD=ADMIN_PASSWORD,
            ),
            upstreams={"service-requests": service_url},
        )
        async with serve_with_lifespan(gateway) as url:
            gateway_address.append(url)
            yield url


@asynccontextmanager
async def _disposed(database: Database) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await database.dispose()


@asynccontextmanager
async def serve_with_lifespan(app: ASGIApp) -> AsyncIterator[str]:
    """Like ``serve`` but with the lifespan: the gateway's identity app seeds itself on start."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _issue_key(client: httpx.AsyncClient) -> str:
    login = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
    )
    assert login.status_code == 200, login.text
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    scopes = ["requests:read", "requests:write"]
    created = await client.post(
        "/auth/clients", json={"name": "12345热线", "scopes": scopes}, headers=admin
    )
    assert created.status_code == 201, created.text
    key = await client.post(
        "/auth/api-keys",
        json={"client_id": created.json()["client_id"], "label": "open311", "scopes": scopes},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    raw: str = key.json()["key"]
    return raw


async def test_open311_with_an_api_key_through_the_gateway(
    backend: str, tmp_path: Path, demo_registry_client: RegistryClient
) -> None:
    async with platform(backend, tmp_path, demo_registry_client) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            api_key = await _issue_key(client)
            fields = {
                "api_key": api_key,
                "service_code": ITEM,
                "description": "小区东门路灯不亮",
                "attribute[community_id]": COMMUNITY,
            }
            posted = await client.post(f"{BASE}/requests.json", data=fields)
            assert posted.status_code == 201, posted.text
            number = posted.json()[0]["service_request_id"]

            # With the key (in the query), the submitting client reads its own text.
            [own] = (
                await client.get(f"{BASE}/requests/{number}.json", params={"api_key": api_key})
            ).json()
            assert own["description"] == "小区东门路灯不亮"
            refused = await client.post(
                f"{BASE}/requests.json", data={**fields, "api_key": "zk_not_a_key"}
            )
            assert refused.status_code == 401

        # The published client, as a third party would use it (reads need no key).
        georeport = GeoReport(f"{url}{BASE}", api_key=api_key)
        one = await asyncio.to_thread(georeport.get_service_request, number)
        assert one["service_request_id"] == number
        assert one["status"] == "open"
        assert one["description"] is None  # without a key: the public view
        services = await asyncio.to_thread(georeport.get_service_list)
        assert any(s["service_code"] == ITEM for s in services)
