"""What a process does at start (``StartupWork``): the one-time work once, the rest everywhere.

With several workers, ``zhdj_shared.serve`` starts the app once in the parent with
``SETUP_ONLY`` (migrations, ``on_setup``), then each worker with ``SERVE_ONLY``
(``on_startup``). The settings reach the workers pickled: what they carry must survive that.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from fastapi import FastAPI

from zhdj_activity.feeds import feed_key
from zhdj_activity.settings import ActivitySettings
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.lifespan import ChildLifespan
from zhdj_shared.settings import ServiceSettings, StartupWork


def through_a_process_boundary(settings: ServiceSettings) -> ServiceSettings:
    """What a spawned worker receives: the settings pickled by its parent (our own bytes)."""
    copy: ServiceSettings = pickle.loads(pickle.dumps(settings))  # noqa: S301
    return copy


async def started_hooks(work: StartupWork, tmp_path: Path) -> list[str]:
    calls: list[str] = []

    async def setup(_app: FastAPI) -> None:
        calls.append("setup")

    async def startup(_app: FastAPI) -> None:
        calls.append("startup")

    async def shutdown(_app: FastAPI) -> None:
        calls.append("shutdown")

    settings = ServiceSettings(migrate_on_start=False).for_startup(work)
    app = create_service_app(
        title="t",
        description="d",
        settings=settings,
        routers=[],
        migrations_dir=tmp_path,
        database=Database(f"sqlite+aiosqlite:///{tmp_path / 't.db'}"),
        on_setup=[setup],
        on_startup=[startup],
        on_shutdown=[shutdown],
    )
    lifespan = ChildLifespan(app)
    await lifespan.startup({})
    await lifespan.shutdown()
    return calls


@pytest.mark.parametrize(
    ("work", "expected"),
    [
        (StartupWork.ALL, ["setup", "startup", "shutdown"]),
        (StartupWork.SETUP_ONLY, ["setup", "shutdown"]),
        (StartupWork.SERVE_ONLY, ["startup", "shutdown"]),
    ],
)
async def test_each_process_does_its_share(
    work: StartupWork, expected: list[str], tmp_path: Path
) -> None:
    assert await started_hooks(work, tmp_path) == expected


def test_settings_default_to_one_process_doing_everything() -> None:
    settings = ServiceSettings()
    assert settings.workers == 1
    assert settings.startup_work is StartupWork.ALL


def test_workers_come_from_the_parts_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHDJ_ACTIVITY_WORKERS", "3")
    assert ActivitySettings().workers == 3
    monkeypatch.setenv("ZHDJ_ACTIVITY_WORKERS", "0")
    with pytest.raises(ValueError, match="workers"):
        ActivitySettings()


def test_a_workers_copy_keeps_its_work_and_nothing_else_changes() -> None:
    settings = ServiceSettings(port=9123)
    copy = through_a_process_boundary(settings.for_startup(StartupWork.SERVE_ONLY))
    assert copy.startup_work is StartupWork.SERVE_ONLY
    assert copy.port == 9123
    assert settings.startup_work is StartupWork.ALL  # the original is untouched


def test_workers_of_one_start_share_the_random_calendar_key() -> None:
    """Without a calendar or client secret the feed key is random: every worker (a pickled
    copy of the parent's settings) must sign the same links, or a link made by one worker
    would be refused by the other."""
    settings = ActivitySettings(calendar_secret=None, client_secret=None)
    worker = through_a_process_boundary(settings.for_startup(StartupWork.SERVE_ONLY))
    assert isinstance(worker, ActivitySettings)
    assert feed_key(worker) == feed_key(settings)
    assert feed_key(ActivitySettings(calendar_secret=None, client_secret=None)) != feed_key(
        settings
    )  # another start, another key
