"""The service-requests app in-process on a real migrated database per backend, a transaction per
test, talking to the REAL registry app on the demo city (``demo_registry_client``).

Reusable by every service-requests test module: ``requests_app`` (a :class:`RequestsApp`) gives
the HTTP client, the isolated database and token helpers for each kind of caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.support.databases import IsolatedDatabase, isolated, migrated_url
from tests.support.tokens import TestKeys
from zhdj_service_requests.app import MIGRATIONS_DIR, create_app
from zhdj_service_requests.catalog_seed import load_catalog
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.db import Database, get_session
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.storage import LocalBlobStore

BASE = "/api/service-requests"
REQUESTS = f"{BASE}/requests"
# The registry's demo city (see zhdj_registry.demo and demo_grids).
RESIDENT_ZHANG = "demo-user-resident-zhang"
CHAOYANG = "demo-s-xinhua-chaoyang"
CHAOYANG_C1 = "demo-s-xinhua-chaoyang-c1"
CHAOYANG_C2 = "demo-s-xinhua-chaoyang-c2"
HEPING = "demo-s-xinhua-heping"
HEPING_C1 = "demo-s-xinhua-heping-c1"
XINHUA = "demo-d-xinhua"
# Centre of 朝阳街道 阳光社区's first grid (demo_grids.grid_center(0, 0)).
C1_GRID1 = (36.66, 117.02)
C2_GRID1 = (36.66, 117.05)
HEPING_C1_GRID1 = (36.68, 117.02)


@pytest.fixture(scope="session")
async def requests_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """Migrated (every head) with the seeded catalog committed; no requests."""
    tmp: Path = tmp_path_factory.mktemp(f"service-requests-{backend}")
    database = Database(await migrated_url("service-requests", backend, MIGRATIONS_DIR, tmp))
    async for session in database.unit_of_work():
        await load_catalog(session)
    yield database
    await database.dispose()


@dataclass
class RequestsApp:
    app: FastAPI
    client: httpx.AsyncClient
    db: IsolatedDatabase
    keys: TestKeys

    def headers(self, **claims: Any) -> dict[str, str]:
        return self.keys.bearer(**claims)

    def resident(self, sub: str = RESIDENT_ZHANG, name: str = "张伟") -> dict[str, str]:
        return self.keys.bearer(
            sub=sub,
            name=name,
            roles=["resident"],
            scope="registry:read requests:read requests:write",
        )

    def staff(
        self, *orgs: str, sub: str = "staff-1", role: str = "service_staff", name: str = "赵磊"
    ) -> dict[str, str]:
        return self.keys.bearer(sub=sub, name=name, roles=[role], orgs=list(orgs))

    def third_party(
        self, client_id: str = "tp-12345", scope: str = "requests:read requests:write"
    ) -> dict[str, str]:
        return self.keys.bearer(
            sub=client_id, kind="client", client_id=client_id, roles=["third_party"], scope=scope
        )

    def service(self, client_id: str = "svc-assessment") -> dict[str, str]:
        return self.keys.bearer(
            sub=client_id,
            kind="client",
            client_id=client_id,
            roles=["service"],
            scope="requests:read",
        )

    def admin(self) -> dict[str, str]:
        return self.keys.bearer(sub="admin-1", roles=["admin"])

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in the test's transaction; what it changes is committed (to the savepoint)."""
        return self.db.session()


@asynccontextmanager
async def serve_requests(
    database: Database,
    keys: TestKeys,
    registry: RegistryClient,
    blob_root: Path,
    settings: ServiceRequestsSettings | None = None,
) -> AsyncIterator[RequestsApp]:
    settings = settings or ServiceRequestsSettings(
        migrate_on_start=False, load_demo_data=False, escalation_interval_seconds=0
    )
    app = create_app(
        settings,
        database=database,
        token_verifier=keys.verifier(),
        registry=registry,
        blobs=LocalBlobStore(blob_root),
    )
    async with isolated(database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://requests") as client:
            yield RequestsApp(app=app, client=client, db=iso, keys=keys)


@pytest.fixture
async def requests_app(
    requests_database: Database,
    keys: TestKeys,
    demo_registry_client: RegistryClient,
    tmp_path: Path,
) -> AsyncIterator[RequestsApp]:
    """The service on the seeded catalog, the demo registry behind it; writes rolled back."""
    async with serve_requests(
        requests_database, keys, demo_registry_client, tmp_path / "blobs"
    ) as served:
        yield served
