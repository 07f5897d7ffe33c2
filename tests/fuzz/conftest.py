"""The whole platform as ``make run`` starts it (real processes on SQLite, demo city), with the
gateway's rate limits raised so that fuzzing is not throttled, and an administrator's token."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import (
    PARTS,
    READY_MARKER,
    REPO,
    RUN_PLATFORM,
    START_TIMEOUT,
    STOP_TIMEOUT,
    RunningPlatform,
    _pump,
    free_ports,
    platform_env,
)


@pytest.fixture(scope="session")
def fuzz_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    data_dir = tmp_path_factory.mktemp("fuzz-platform-data")
    ports = dict(zip(PARTS, free_ports(len(PARTS)), strict=True))
    admin_password = "fuzz-admin-password-2026"
    env = platform_env(
        data_dir,
        ports,
        ZHDJ_ADMIN_PASSWORD=admin_password,
        ZHDJ_DEMO_PASSWORD="fuzz-demo-password-2026",
        ZHDJ_LOG_JSON="false",
        ZHDJ_LOG_LEVEL="WARNING",
        # Fuzzing sends a few thousand requests in a minute from one client and one address.
        ZHDJ_GATEWAY_RATE_LIMIT_PER_CLIENT="100000",
        ZHDJ_GATEWAY_RATE_LIMIT_CLIENT_BURST="100000",
        ZHDJ_GATEWAY_RATE_LIMIT_PER_IP="100000",
        ZHDJ_GATEWAY_RATE_LIMIT_IP_BURST="100000",
    )
    process = subprocess.Popen(
        [sys.executable, str(RUN_PLATFORM), "--start-timeout", str(START_TIMEOUT)],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    running = RunningPlatform(
        process=process,
        urls={part: f"http://127.0.0.1:{port}" for part, port in ports.items()},
        admin_password=admin_password,
        data_dir=data_dir,
    )
    reader = threading.Thread(target=_pump, args=(running,), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT + 10
        while not any(READY_MARKER in line for line in running.lines):
            if process.poll() is not None:
                reader.join(timeout=5)
                pytest.fail(f"the platform exited before it was ready:\n{running.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the platform was not ready in time:\n{running.output()}")
            time.sleep(0.2)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=5)


@pytest.fixture(scope="session")
def admin_token(fuzz_platform: RunningPlatform) -> str:
    response = httpx.post(
        f"{fuzz_platform.gateway_url}/auth/token",
        data={
            "grant_type": "password",
            "username": "admin",
            "password": fuzz_platform.admin_password,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
