"""Every part's migrations build exactly the schema its models declare, on both databases.

Autogenerate compares a database migrated to head with the part's own metadata: a model changed
without a migration (or a migration that drifted from its model) shows up here, not in
production. Indexes a model declares for one dialect only (``Index(...).ddl_if(dialect=...)``)
are expected to be absent on the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Index, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

import zhdj_activity.models
import zhdj_assessment.models
import zhdj_gateway.identity.models
import zhdj_registry.models  # noqa: F401 - registers every registry table
import zhdj_service_requests.models
from tests.support.databases import migrated_url
from zhdj_activity.app import MIGRATIONS_DIR as ACTIVITY
from zhdj_assessment.app import MIGRATIONS_DIR as ASSESSMENT
from zhdj_gateway.identity.app import MIGRATIONS_DIR as GATEWAY
from zhdj_registry.app import MIGRATIONS_DIR as REGISTRY
from zhdj_registry.models.base import RegistryModel
from zhdj_service_requests.app import MIGRATIONS_DIR as SERVICE_REQUESTS

PARTS: dict[str, tuple[Path, MetaData]] = {
    "gateway": (GATEWAY, zhdj_gateway.identity.models.GatewayModel.metadata),
    "registry": (REGISTRY, RegistryModel.metadata),
    "activity": (ACTIVITY, zhdj_activity.models.ActivityModel.metadata),
    "service-requests": (
        SERVICE_REQUESTS,
        zhdj_service_requests.models.ServiceRequestsModel.metadata,
    ),
    "assessment": (ASSESSMENT, zhdj_assessment.models.AssessmentModel.metadata),
}


def _other_dialect_indexes(metadata: MetaData, dialect: str) -> set[str]:
    """Names of the indexes the models create only on another dialect."""
    names = set()
    for table in metadata.tables.values():
        for index in table.indexes:
            only_on = getattr(getattr(index, "_ddl_if", None), "dialect", None)
            if only_on is not None and only_on != dialect and index.name:
                names.add(str(index.name))
    return names


def _differences(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"render_as_batch": True})
    skipped = _other_dialect_indexes(metadata, connection.dialect.name)
    return [
        d
        for d in compare_metadata(context, metadata)
        if not (d[0] == "add_index" and isinstance(d[1], Index) and d[1].name in skipped)
    ]


@pytest.mark.parametrize("part", sorted(PARTS))
async def test_migrations_build_what_the_models_declare(
    part: str, backend: str, tmp_path: Path
) -> None:
    migrations_dir, metadata = PARTS[part]
    url = await migrated_url(f"schema-{part}", backend, migrations_dir, tmp_path)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences, metadata)
    finally:
        await engine.dispose()
    assert differences == []
