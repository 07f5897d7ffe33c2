"""The placeholder service (assessment): its app answers health, readiness and metrics on SQLite,
its baseline migration applies, and its command line migrates and refuses a taken port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

import zhdj_assessment.app
from tests.support.tokens import TestKeys
from zhdj_assessment.settings import AssessmentSettings
from zhdj_shared.db import Database
from zhdj_shared.settings import PlatformSettings, ServiceSettings

PLACEHOLDERS: list[tuple[str, type[ServiceSettings], Callable[..., FastAPI], str, int]] = [
    (
        "zhdj_assessment",
        AssessmentSettings,
        zhdj_assessment.app.create_app,
        "ZHDJ_ASSESSMENT_",
        8004,
    ),
]
IDS = [p[0] for p in PLACEHOLDERS]


def _child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHDJ_")}
    return {**env, "ZHDJ_DATA_DIR": str(data_dir), "ZHDJ_LOG_JSON": "false", **extra}


@pytest.mark.parametrize(
    ("package", "settings_class", "create_app", "prefix", "port"), PLACEHOLDERS, ids=IDS
)
def test_settings_prefix_and_port(
    package: str,
    settings_class: type[ServiceSettings],
    create_app: Any,
    prefix: str,
    port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings_class().port == port
    monkeypatch.setenv(f"{prefix}PORT", "18123")
    assert settings_class().port == 18123


@pytest.mark.parametrize(
    ("package", "settings_class", "create_app", "prefix", "port"), PLACEHOLDERS, ids=IDS
)
async def test_app_answers_health_readiness_and_metrics(
    package: str,
    settings_class: type[ServiceSettings],
    create_app: Callable[..., FastAPI],
    prefix: str,
    port: int,
    keys: TestKeys,
    tmp_path: Path,
) -> None:
    settings = settings_class(platform=PlatformSettings(data_dir=tmp_path, log_json=False))
    database = Database(settings.resolved_database_url())
    app = create_app(settings, database=database, token_verifier=keys.verifier())
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),  # applies the baseline migration (migrate_on_start)
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
        missing = await client.get(f"/api/{settings.service_name}/anything")
        async with database.engine.connect() as connection:
            version = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert "x-request-id" in ready.headers
    assert metrics.status_code == 200
    assert "http_requests_total" in metrics.text
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert version == "0001"
    assert (tmp_path / f"{settings.service_name}.db").exists()


@pytest.mark.parametrize(
    ("package", "settings_class", "create_app", "prefix", "port"), PLACEHOLDERS, ids=IDS
)
def test_migrate_command_applies_the_baseline(
    package: str,
    settings_class: type[ServiceSettings],
    create_app: Any,
    prefix: str,
    port: int,
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", package, "migrate"],
        env=_child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0001" in result.stderr  # alembic logs the revision it applied
    assert (tmp_path / f"{settings_class().service_name}.db").exists()


def test_serve_refuses_a_taken_port_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "zhdj_assessment"],
            env=_child_env(tmp_path, ZHDJ_ASSESSMENT_PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"zhdj_assessment: port {port} on 127.0.0.1 is already in use; "
        "stop what is using it or set ZHDJ_ASSESSMENT_PORT to a free port"
    )
    assert not (tmp_path / "assessment.db").exists()  # failed before touching the database
