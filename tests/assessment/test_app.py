"""The assessment app as a process: settings, health, readiness and metrics, its migrations
(with the default system seeded) and its command line (moved from the placeholder tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.support.assessment_upstreams import sources_down
from tests.support.tokens import TestKeys
from zhdj_assessment.app import create_app
from zhdj_assessment.settings import AssessmentSettings
from zhdj_shared.db import Database
from zhdj_shared.settings import PlatformSettings


def _child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHDJ_")}
    return {**env, "ZHDJ_DATA_DIR": str(data_dir), "ZHDJ_LOG_JSON": "false", **extra}


def test_settings_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AssessmentSettings().port == 8004
    monkeypatch.setenv("ZHDJ_ASSESSMENT_PORT", "18123")
    monkeypatch.setenv("ZHDJ_ASSESSMENT_FETCH_CONCURRENCY", "3")
    settings = AssessmentSettings()
    assert (settings.port, settings.fetch_concurrency) == (18123, 3)


async def test_app_migrates_seeds_and_answers_health_readiness_and_metrics(
    keys: TestKeys, tmp_path: Path
) -> None:
    settings = AssessmentSettings(platform=PlatformSettings(data_dir=tmp_path, log_json=False))
    database = Database(settings.resolved_database_url())
    sources = sources_down(keys)
    app = create_app(settings, database=database, token_verifier=keys.verifier(), sources=sources)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),  # applies the migrations (migrate_on_start)
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
        missing = await client.get("/api/assessment/anything")
        systems = await client.get(
            "/api/assessment/systems", headers=keys.bearer(roles=["org_staff"])
        )
        async with database.engine.connect() as connection:
            version = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
            demo_cycles = (
                await connection.execute(
                    text("SELECT status FROM cycles WHERE created_by = 'demo' ORDER BY year")
                )
            ).scalars()
            demo_statuses = list(demo_cycles)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert "http_requests_total" in metrics.text
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert [s["name"] for s in systems.json()["items"]] == ["融合党建工作标准体系"]
    assert version == "0004"
    # load_demo_data (the default): last year's published cycle and this year's open one,
    # loaded on start while every other service is down
    assert demo_statuses == ["published", "open"]
    assert (tmp_path / "assessment.db").exists()


def test_migrate_command_applies_the_migrations(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zhdj_assessment", "migrate"],
        env=_child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0003" in result.stderr  # alembic logs the revisions it applied
    assert (tmp_path / "assessment.db").exists()


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
