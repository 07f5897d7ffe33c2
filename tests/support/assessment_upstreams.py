"""The assessment service's sources as it sees them in tests: the REAL activity and
service-requests apps in-process (each on its own database, the demo registry behind them),
reached through real :class:`ServiceClient`s over ASGI transports with service tokens."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.databases import IsolatedDatabase, isolated
from tests.support.tokens import TestKeys
from tests.support.upstreams import (
    UNREACHABLE_URL,
    CountingTransport,
    service_token_source,
    unreachable_registry,
)
from zhdj_activity.app import create_app as create_activity_app
from zhdj_activity.settings import ActivitySettings
from zhdj_assessment.sources import Sources
from zhdj_registry.app import create_app as create_registry_app
from zhdj_registry.settings import RegistrySettings
from zhdj_service_requests.app import create_app as create_requests_app
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.client import ServiceClient
from zhdj_shared.db import Database, get_session
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.storage import LocalBlobStore

CLIENT_ID = "svc-assessment"


def _client(
    app: object,
    base_url: str,
    keys: TestKeys,
    scope: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ServiceClient:
    return ServiceClient(
        base_url,
        client_id=None,
        client_secret=None,
        transport=transport or httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        token_source=service_token_source(keys, CLIENT_ID, scope),
    )


class FaultyTransport(CountingTransport):
    """A :class:`CountingTransport` to a real app that answers 503 itself, without passing the
    request on, while ``failing`` holds a text found in the request's body (a batch call
    naming that target): one batch failing while the others go through. The bodies it
    refused are kept."""

    def __init__(self, app: object) -> None:
        super().__init__(app)
        self.failing: str | None = None
        self.refused: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if self.failing is not None and self.failing.encode() in body:
            self.calls[(request.method, request.url.path)] += 1
            self.refused.append(json.loads(body))
            return httpx.Response(503, json={"status": 503, "title": "Service unavailable"})
        return await super().handle_async_request(request)


@asynccontextmanager
async def assessment_sources(
    *,
    registry: RegistryClient,
    activity_database: Database,
    requests_database: Database,
    keys: TestKeys,
    blob_root: Path,
    activity_view: IsolatedDatabase | None = None,
    upstream_registry: RegistryClient | None = None,
    transports: dict[str, FaultyTransport] | None = None,
) -> AsyncIterator[Sources]:
    """:class:`Sources` reading the real registry, activity and service-requests apps (the
    activity app through ``activity_view``, a rolled-back transaction, when one is given).

    ``upstream_registry``: the registry the activity and service-requests apps read (default
    ``registry``, the assessment's own); ``transports``, when given, receives the counting
    transports in front of the activity and service-requests apps (keys ``activity``,
    ``service-requests``)."""
    activity_app = create_activity_app(
        ActivitySettings(migrate_on_start=False, load_demo_data=False),
        database=activity_database,
        token_verifier=keys.verifier(),
        registry=upstream_registry or registry,
        blobs=LocalBlobStore(blob_root / "activity"),
    )
    if activity_view is not None:
        activity_app.dependency_overrides[get_session] = activity_view.session_override
    requests_app = create_requests_app(
        ServiceRequestsSettings(
            migrate_on_start=False, load_demo_data=False, escalation_interval_seconds=0
        ),
        database=requests_database,
        token_verifier=keys.verifier(),
        registry=upstream_registry or registry,
        blobs=LocalBlobStore(blob_root / "requests"),
    )
    activity_transport, requests_transport = (
        FaultyTransport(activity_app),
        FaultyTransport(requests_app),
    )
    if transports is not None:
        transports.update({"activity": activity_transport, "service-requests": requests_transport})
    activity = _client(activity_app, "http://activity", keys, "activity:read", activity_transport)
    requests = _client(requests_app, "http://requests", keys, "requests:read", requests_transport)
    try:
        yield Sources(registry, activity, requests)
    finally:
        await activity.aclose()
        await requests.aclose()


@asynccontextmanager
async def writable_registry(database: Database, keys: TestKeys) -> AsyncIterator[RegistryClient]:
    """The real registry app on ``database`` inside a transaction rolled back at the end, with
    the assessment service's token (``registry:write`` too): its writes change nothing after."""
    app = create_registry_app(
        RegistrySettings(migrate_on_start=False, load_demo_data=False),
        database=database,
        token_verifier=keys.verifier(),
    )
    async with isolated(database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        client = _client(app, "http://registry", keys, "registry:read registry:write")
        try:
            yield RegistryClient(client, cache_seconds=0)
        finally:
            await client.aclose()


def unreachable_client(keys: TestKeys) -> ServiceClient:
    return ServiceClient(
        UNREACHABLE_URL,
        client_id=None,
        client_secret=None,
        retries=0,
        token_source=service_token_source(keys, CLIENT_ID, "activity:read requests:read"),
    )


def sources_down(keys: TestKeys, registry: RegistryClient | None = None) -> Sources:
    """Activity and service-requests down (and the registry too unless one is given)."""
    return Sources(
        registry or unreachable_registry(keys), unreachable_client(keys), unreachable_client(keys)
    )
