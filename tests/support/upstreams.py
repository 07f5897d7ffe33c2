"""Other services as a service under test sees them: the real app in-process, reached through
the real :class:`RegistryClient` over an ASGI transport, with a service token minted by the
test keys (what the gateway's client-credentials grant would issue)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx

from tests.support.tokens import TestKeys
from zhdj_registry.app import create_app as create_registry_app
from zhdj_registry.settings import RegistrySettings
from zhdj_shared.client import ServiceClient
from zhdj_shared.db import Database
from zhdj_shared.registry_client import RegistryClient


class CountingTransport(httpx.ASGITransport):
    """An ASGI transport to a real app that counts the requests it carries, by method and path
    (how many calls a caller made, seen where they arrive)."""

    def __init__(self, app: object) -> None:
        super().__init__(app=app)  # type: ignore[arg-type]
        self.calls: Counter[tuple[str, str]] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[(request.method, request.url.path)] += 1
        return await super().handle_async_request(request)

    def count(self, method: str, path: str) -> int:
        return self.calls[(method, path)]

    def total(self) -> int:
        return sum(self.calls.values())


# Nothing listens on port 9 (discard) here: connections are refused at once.
UNREACHABLE_URL = "http://127.0.0.1:9"


def service_token_source(
    keys: TestKeys, client_id: str, scope: str = "registry:read"
) -> Callable[[], Awaitable[str]]:
    token = keys.mint(
        sub=client_id, kind="client", client_id=client_id, roles=["service"], scope=scope
    )

    async def source() -> str:
        return token

    return source


@asynccontextmanager
async def registry_upstream(
    database: Database,
    keys: TestKeys,
    client_id: str = "svc-test",
    *,
    transport: CountingTransport | None = None,
    cache_seconds: float | None = None,
) -> AsyncIterator[RegistryClient]:
    """A :class:`RegistryClient` talking to a real registry app on ``database`` (through
    ``transport`` when given: a :class:`CountingTransport` of :func:`registry_app`)."""
    client = ServiceClient(
        "http://registry",
        client_id=None,
        client_secret=None,
        transport=transport or httpx.ASGITransport(app=registry_app(database, keys)),
        token_source=service_token_source(keys, client_id),
    )
    try:
        if cache_seconds is None:
            yield RegistryClient(client)
        else:
            yield RegistryClient(client, cache_seconds=cache_seconds)
    finally:
        await client.aclose()


def registry_app(database: Database, keys: TestKeys) -> object:
    return create_registry_app(
        RegistrySettings(migrate_on_start=False, load_demo_data=False),
        database=database,
        token_verifier=keys.verifier(),
    )


def unreachable_registry(keys: TestKeys) -> RegistryClient:
    """A registry that is down: every call fails to connect (503 for whoever needs it)."""
    return RegistryClient(
        ServiceClient(
            UNREACHABLE_URL,
            client_id=None,
            client_secret=None,
            retries=0,
            token_source=service_token_source(keys, "svc-test"),
        )
    )
