"""The registry app in-process on a real migrated database per backend; a transaction per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.support.databases import IsolatedDatabase, isolated, migrated_url
from tests.support.tokens import TestKeys
from zhdj_registry.app import MIGRATIONS_DIR, create_app
from zhdj_registry.settings import RegistrySettings
from zhdj_shared.db import Database, get_session


@pytest.fixture(scope="session")
async def registry_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    tmp: Path = tmp_path_factory.mktemp(f"registry-{backend}")
    database = Database(await migrated_url("registry", backend, MIGRATIONS_DIR, tmp))
    yield database
    await database.dispose()


@dataclass
class Registry:
    client: httpx.AsyncClient
    db: IsolatedDatabase
    keys: TestKeys

    def as_admin(self) -> dict[str, str]:
        return self.keys.bearer(sub="admin-1", roles=["admin"])

    def as_staff(self, *orgs: str, scope: str | None = None) -> dict[str, str]:
        extra = {"scope": scope} if scope is not None else {}
        return self.keys.bearer(sub="staff-1", roles=["org_staff"], orgs=list(orgs), **extra)

    def as_resident(self) -> dict[str, str]:
        return self.keys.bearer(sub="resident-1", roles=["resident"], scope="registry:read")

    def session(self) -> AsyncSession:
        return self.db.sessionmaker()


@asynccontextmanager
async def serve_registry(
    database: Database, keys: TestKeys, **settings_values: Any
) -> AsyncIterator[Registry]:
    settings = RegistrySettings(migrate_on_start=False, load_demo_data=False, **settings_values)
    app = create_app(settings, database=database, token_verifier=keys.verifier())
    async with isolated(database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield Registry(client=client, db=iso, keys=keys)


@pytest.fixture
async def registry(registry_database: Database, keys: TestKeys) -> AsyncIterator[Registry]:
    """An empty registry; each test's writes are rolled back."""
    async with serve_registry(registry_database, keys) as registry:
        yield registry


@pytest.fixture
async def demo_registry(
    registry_demo_database: Database, keys: TestKeys
) -> AsyncIterator[Registry]:
    """The registry with all demo data; each test's writes are rolled back."""
    async with serve_registry(registry_demo_database, keys) as registry:
        yield registry
