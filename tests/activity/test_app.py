"""The activity app's platform parts: settings, health on SQLite with its migrations applied and
the demo loaded at start, the migrate command, and the attachment storage setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from tests.support.tokens import TestKeys
from tests.support.upstreams import unreachable_registry
from zhdj_activity.app import MIGRATIONS_DIR, create_app
from zhdj_activity.models import ActivityModel
from zhdj_activity.settings import ActivitySettings
from zhdj_shared.db import Database
from zhdj_shared.migrations import upgrade
from zhdj_shared.settings import PlatformSettings
from zhdj_shared.storage import LocalBlobStore, StorageConfigurationError


def test_settings_prefix_port_and_storage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert ActivitySettings().port == 8002
    monkeypatch.setenv("ZHDJ_ACTIVITY_PORT", "18124")
    monkeypatch.setenv("ZHDJ_ACTIVITY_CHECKIN_CODE_MINUTES", "3")
    settings = ActivitySettings(platform=PlatformSettings(data_dir=tmp_path))
    assert (settings.port, settings.checkin_code_minutes) == (18124, 3)
    assert settings.resolved_storage_url() == f"file://{tmp_path.resolve()}/activity-attachments"


async def test_app_migrates_loads_demo_and_answers_health(keys: TestKeys, tmp_path: Path) -> None:
    settings = ActivitySettings(platform=PlatformSettings(data_dir=tmp_path, log_json=False))
    database = Database(settings.resolved_database_url())
    registry = unreachable_registry(keys)
    app = create_app(settings, database=database, token_verifier=keys.verifier(), registry=registry)
    assert isinstance(app.state.blobs, LocalBlobStore)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        ready = await client.get("/readyz")
        types = await client.get(
            "/api/activity/types", headers=keys.bearer(roles=["member"], scope="activity:read")
        )
        async with database.engine.connect() as connection:
            version = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
            activities = (
                await connection.execute(text("SELECT count(*) FROM activities"))
            ).scalar()
    assert ready.status_code == 200
    assert types.status_code == 200
    assert version == "0005"
    assert activities is not None
    assert activities > 1000


def test_s3_storage_is_a_clear_configuration_error(keys: TestKeys) -> None:
    settings = ActivitySettings(storage_url="s3://bucket/prefix", load_demo_data=False)
    with pytest.raises(StorageConfigurationError):
        create_app(settings, token_verifier=keys.verifier(), registry=unreachable_registry(keys))


def test_migrate_command_applies_the_migrations(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHDJ_")}
    result = subprocess.run(
        [sys.executable, "-m", "zhdj_activity", "migrate"],
        env={**env, "ZHDJ_DATA_DIR": str(tmp_path), "ZHDJ_LOG_JSON": "false"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0004" in result.stderr
    assert (tmp_path / "activity.db").exists()


def test_migrations_match_the_models(tmp_path: Path) -> None:
    """Autogenerate against the migrated schema finds nothing: models and migrations agree."""
    upgrade(MIGRATIONS_DIR, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"render_as_batch": True})
            assert compare_metadata(context, ActivityModel.metadata) == []
    finally:
        engine.dispose()
