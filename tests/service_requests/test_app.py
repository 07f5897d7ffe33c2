"""The real app start: migrations (every head), the seeded catalog and demo requests loaded
quickly, health and readiness, the escalation task started and stopped with the app."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from sqlalchemy import text

from tests.support.tokens import TestKeys
from tests.support.upstreams import unreachable_registry
from zhdj_service_requests.app import create_app
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.db import Database
from zhdj_shared.settings import PlatformSettings


async def test_start_migrates_loads_demo_and_sweeps(keys: TestKeys, tmp_path: Path) -> None:
    settings = ServiceRequestsSettings(
        platform=PlatformSettings(data_dir=tmp_path, log_json=False),
        escalation_interval_seconds=3600,
    )
    assert settings.port == 8003
    database = Database(settings.resolved_database_url())
    app = create_app(
        settings,
        database=database,
        token_verifier=keys.verifier(),
        registry=unreachable_registry(keys),
    )
    started = time.perf_counter()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        elapsed = time.perf_counter() - started
        assert app.state.escalation_task is not None
        assert not app.state.escalation_task.done()
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        async with database.engine.connect() as connection:
            count = (
                await connection.execute(text("SELECT count(*) FROM service_requests"))
            ).scalar()
            items = (await connection.execute(text("SELECT count(*) FROM service_items"))).scalar()
        headers = keys.bearer(sub="svc", kind="client", roles=["service"], scope="requests:read")
        stats = await client.get("/api/service-requests/statistics", headers=headers)
    assert count == settings.demo_requests
    assert items is not None
    assert items >= 146
    assert elapsed < 30, f"demo start took {elapsed:.1f} s"
    assert stats.json()["overall"]["total"] > 0
    assert app.state.escalation_task.done()  # cancelled at shutdown
