"""A registry whose tree a test may change (moves), reached by a service under test through the
real :class:`RegistryClient`: the real registry app on the demo city, its writes in the test's
own transaction (rolled back at the end), so a move is visible to the service's follower at
once and to no other test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Table

from tests.support.databases import isolated
from tests.support.tokens import TestKeys
from tests.support.upstreams import registry_app, service_token_source
from zhdj_shared.client import ServiceClient
from zhdj_shared.db import Database, get_session
from zhdj_shared.moves import CopiedPath, MovesFollower, SessionFactory
from zhdj_shared.registry_client import RegistryClient

ORGS = "/api/registry/organizations"


@dataclass
class MovableRegistry:
    http: httpx.AsyncClient  # the registry's API, as an administrator would call it
    client: RegistryClient  # what the service under test is given
    keys: TestKeys

    async def move(self, org_id: str, parent_id: str) -> dict[str, Any]:
        response = await self.http.post(
            f"{ORGS}/{org_id}/move",
            json={"parent_id": parent_id},
            headers=self.keys.bearer(sub="admin-1", roles=["admin"]),
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


class SerialTransport(httpx.ASGITransport):
    """One request at a time: the app's sessions share the test's one connection, which cannot
    serve two statements at once (a service may read the registry concurrently)."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self._lock = asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self._lock:
            return await super().handle_async_request(request)


@asynccontextmanager
async def movable_registry(database: Database, keys: TestKeys) -> AsyncIterator[MovableRegistry]:
    app: Any = registry_app(database, keys)
    async with isolated(database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        transport = SerialTransport(app)
        service = ServiceClient(
            "http://registry",
            client_id=None,
            client_secret=None,
            transport=transport,
            token_source=service_token_source(keys, "svc-test"),
        )
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
                yield MovableRegistry(http=http, client=RegistryClient(service), keys=keys)
        finally:
            await service.aclose()


def follower(
    sessions: SessionFactory,
    registry: RegistryClient,
    cursor: Table,
    paths: tuple[CopiedPath, ...],
) -> MovesFollower:
    """The follower a service's lifespan starts, on the test's own sessions."""
    return MovesFollower(sessions, registry, cursor, paths)
