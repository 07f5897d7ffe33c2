"""The activity app in-process on a real migrated database per backend, a transaction per test,
reaching the REAL registry app (demo city) through the real RegistryClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.support.databases import IsolatedDatabase, isolated, migrated_url
from tests.support.tokens import TestKeys
from tests.support.upstreams import unreachable_registry
from zhdj_activity.app import MIGRATIONS_DIR, create_app
from zhdj_activity.settings import ActivitySettings
from zhdj_shared.db import Database, get_session
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.storage import BlobStore, LocalBlobStore

BASE = "/api/activity"
CHAOYANG = "demo-s-xinhua-chaoyang"
C1 = f"{CHAOYANG}-c1"
BRANCH = f"{C1}-b1"  # 李明 (demo-user-member-li) is a member here
OTHER_BRANCH = "demo-s-xinhua-heping-c1-b1"
XINHUA = "demo-d-xinhua"


@pytest.fixture(scope="session")
async def activity_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    tmp: Path = tmp_path_factory.mktemp(f"activity-{backend}")
    database = Database(await migrated_url("activity", backend, MIGRATIONS_DIR, tmp))
    yield database
    await database.dispose()


@dataclass
class ActivityApp:
    client: httpx.AsyncClient
    db: IsolatedDatabase
    keys: TestKeys
    blobs: BlobStore

    def staff(self, *orgs: str, sub: str = "staff-1") -> dict[str, str]:
        return self.keys.bearer(sub=sub, roles=["org_staff"], orgs=list(orgs))

    def admin(self) -> dict[str, str]:
        return self.keys.bearer(sub="admin-1", roles=["admin"])

    def member_li(self) -> dict[str, str]:
        return self.keys.bearer(sub="demo-user-member-li", roles=["member"])

    def service(self) -> dict[str, str]:
        return self.keys.bearer(
            sub="svc-assessment",
            kind="client",
            client_id="svc-assessment",
            roles=["service"],
            scope="activity:read",
        )

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in the test's transaction that commits (to the savepoint) on exit."""
        return self.db.session()

    async def plan(self, headers: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"{BASE}/activities", json=activity_body(**overrides), headers=headers or self.staff(C1)
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def activity_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type_code": "themed_party_day",
        "title": "学习贯彻主题党日",
        "owner": {"kind": "org", "id": BRANCH},
        "starts_at": "2026-03-05T14:00:00+08:00",
        "ends_at": "2026-03-05T16:00:00+08:00",
        "location": "朝阳社区党群服务中心",
    }
    body.update(overrides)
    return body


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem


@asynccontextmanager
async def serve_activity(
    database: Database,
    keys: TestKeys,
    registry: RegistryClient,
    blob_root: Path,
    blobs: BlobStore | None = None,
) -> AsyncIterator[ActivityApp]:
    settings = ActivitySettings(migrate_on_start=False, load_demo_data=False)
    blobs = blobs or LocalBlobStore(blob_root)
    app = create_app(
        settings,
        database=database,
        token_verifier=keys.verifier(),
        registry=registry,
        blobs=blobs,
    )
    async with isolated(database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://activity") as client:
            yield ActivityApp(client=client, db=iso, keys=keys, blobs=blobs)


@pytest.fixture
async def activity(
    activity_database: Database,
    keys: TestKeys,
    demo_registry_client: RegistryClient,
    tmp_path: Path,
) -> AsyncIterator[ActivityApp]:
    """The activity app on the demo registry; each test's writes are rolled back."""
    async with serve_activity(
        activity_database, keys, demo_registry_client, tmp_path / "blobs"
    ) as app:
        yield app


@pytest.fixture
async def activity_registry_down(
    activity_database: Database, keys: TestKeys, tmp_path: Path
) -> AsyncIterator[ActivityApp]:
    registry = unreachable_registry(keys)
    try:
        async with serve_activity(activity_database, keys, registry, tmp_path / "blobs") as app:
            yield app
    finally:
        await registry.aclose()
