"""The assessment app in-process on a real migrated database per backend, a transaction per
test, reading the REAL registry (demo city), activity and service-requests apps (each on its own
migrated database with its demo data) through real service clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.assessment_upstreams import assessment_sources
from tests.support.databases import IsolatedDatabase, isolated, migrated_url
from tests.support.tokens import TestKeys
from zhdj_activity.app import MIGRATIONS_DIR as ACTIVITY_MIGRATIONS
from zhdj_activity.demo import load_demo as load_activity_demo
from zhdj_assessment.app import MIGRATIONS_DIR, create_app
from zhdj_assessment.defaults import DEFAULT_SYSTEM_ID
from zhdj_assessment.settings import AssessmentSettings
from zhdj_assessment.sources import Sources
from zhdj_service_requests.app import MIGRATIONS_DIR as REQUESTS_MIGRATIONS
from zhdj_service_requests.demo import load_demo as load_requests_demo
from zhdj_shared.db import Database, get_session
from zhdj_shared.registry_client import RegistryClient

BASE = "/api/assessment"
DEFAULT_SYSTEM = DEFAULT_SYSTEM_ID
# Demo city (zhdj_registry.demo, demo_alliances)
HND = "demo-a-chaoyang-hnd"  # lead: 朝阳街道 (demo-s-xinhua-chaoyang)
PARK = "demo-a-park-xinhua"  # lead: demo-park-xinhua
HEPING = "demo-a-heping-central"
CHAOYANG = "demo-s-xinhua-chaoyang"
XINHUA = "demo-d-xinhua"


@pytest.fixture(scope="session")
async def assessment_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    tmp: Path = tmp_path_factory.mktemp(f"assessment-{backend}")
    database = Database(await migrated_url("assessment", backend, MIGRATIONS_DIR, tmp))
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def activity_demo_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    tmp: Path = tmp_path_factory.mktemp(f"assessment-activity-{backend}")
    database = Database(await migrated_url("as-activity", backend, ACTIVITY_MIGRATIONS, tmp))
    async for session in database.unit_of_work():
        await load_activity_demo(session)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def requests_demo_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    tmp: Path = tmp_path_factory.mktemp(f"assessment-requests-{backend}")
    database = Database(await migrated_url("as-requests", backend, REQUESTS_MIGRATIONS, tmp))
    async for session in database.unit_of_work():
        await load_requests_demo(session, requests=120)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def real_sources(
    demo_registry_client: RegistryClient,
    activity_demo_database: Database,
    requests_demo_database: Database,
    keys: TestKeys,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Sources]:
    async with assessment_sources(
        registry=demo_registry_client,
        activity_database=activity_demo_database,
        requests_database=requests_demo_database,
        keys=keys,
        blob_root=tmp_path_factory.mktemp("assessment-blobs"),
    ) as sources:
        yield sources


@dataclass
class AssessmentApp:
    client: httpx.AsyncClient
    db: IsolatedDatabase
    keys: TestKeys
    sources: Sources
    app: Any

    def assessor(self, sub: str = "assessor-1") -> dict[str, str]:
        return self.keys.bearer(sub=sub, roles=["assessor"])

    def admin(self) -> dict[str, str]:
        return self.keys.bearer(sub="admin-1", roles=["admin"])

    def staff(self, *orgs: str, sub: str = "staff-1") -> dict[str, str]:
        return self.keys.bearer(sub=sub, roles=["org_staff"], orgs=list(orgs))

    def member(self) -> dict[str, str]:
        return self.keys.bearer(sub="demo-user-member-li", roles=["member"])

    def use_sources(self, sources: Sources) -> None:
        """Swap what the app reads (a source going down, or coming back)."""
        self.app.state.sources = sources

    async def ok(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        response = await self.client.request(method, f"{BASE}{path}", headers=headers, **kw)
        assert response.status_code in (200, 201), response.text
        return response.json()


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


@asynccontextmanager
async def serve_assessment(
    database: Database, keys: TestKeys, sources: Sources
) -> AsyncIterator[AssessmentApp]:
    app = create_app(
        AssessmentSettings(migrate_on_start=False, load_demo_data=False),
        database=database,
        token_verifier=keys.verifier(),
        sources=sources,
    )
    async with isolated(database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://assessment") as client:
            yield AssessmentApp(client=client, db=iso, keys=keys, sources=sources, app=app)


@pytest.fixture
async def assessment(
    assessment_database: Database, keys: TestKeys, real_sources: Sources
) -> AsyncIterator[AssessmentApp]:
    """The app reading the real services; each test's writes are rolled back."""
    async with serve_assessment(assessment_database, keys, real_sources) as served:
        yield served
