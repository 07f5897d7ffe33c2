"""The platform as ``make run`` starts it: ``scripts/run_platform.py`` as a real subprocess.

One platform per test session, on a temporary data folder and free ports chosen at random
(passed through ``ZHDJ_<PART>_PORT``), with a known administrator password. The fixture waits
until the script reports every part ready, and at the end stops it the way Ctrl-C does and
checks that it exits cleanly (status 0).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN_PLATFORM = REPO / "scripts" / "run_platform.py"
PARTS = ("gateway", "registry", "activity", "service-requests", "assessment")
READY_MARKER = "all parts are ready"
START_TIMEOUT = 180.0
STOP_TIMEOUT = 60.0


def port_var(part: str) -> str:
    return f"ZHDJ_{part.upper().replace('-', '_')}_PORT"


def free_ports(count: int) -> list[int]:
    """Ports the kernel says are free now (held together so that they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def platform_env(data_dir: Path, ports: dict[str, int], **extra: str) -> dict[str, str]:
    """The caller's environment without any ``ZHDJ_*`` (no stray database URL), plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHDJ_")}
    env.update({port_var(part): str(port) for part, port in ports.items()})
    env.update(ZHDJ_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass
class RunningPlatform:
    process: subprocess.Popen[str]
    urls: dict[str, str]
    admin_password: str
    data_dir: Path
    lines: list[str] = field(default_factory=list)
    demo_password: str = ""  # of the seeded demo users (xinhua_staff, member_li...)

    @property
    def gateway_url(self) -> str:
        return self.urls["gateway"]

    def output(self, last: int = 80) -> str:
        return "\n".join(self.lines[-last:])


def _pump(platform: RunningPlatform) -> None:
    assert platform.process.stdout is not None
    for line in platform.process.stdout:
        platform.lines.append(line.rstrip("\n"))


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    data_dir = tmp_path_factory.mktemp("platform-data")
    ports = dict(zip(PARTS, free_ports(len(PARTS)), strict=True))
    admin_password = "e2e-" + secrets.token_urlsafe(12)
    demo_password = "e2e-demo-" + secrets.token_urlsafe(8)
    env = platform_env(
        data_dir,
        ports,
        ZHDJ_ADMIN_PASSWORD=admin_password,
        ZHDJ_DEMO_PASSWORD=demo_password,
        ZHDJ_LOG_JSON="false",
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
        start_new_session=True,  # our SIGINT below is the only one it gets
    )
    running = RunningPlatform(
        process=process,
        urls={part: f"http://127.0.0.1:{port}" for part, port in ports.items()},
        admin_password=admin_password,
        data_dir=data_dir,
        demo_password=demo_password,
    )
    reader = threading.Thread(target=_pump, args=(running,), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT + 10
        while not any(READY_MARKER in line for line in running.lines):
            if process.poll() is not None:
                reader.join(timeout=5)
                pytest.fail(
                    f"run_platform.py exited with {process.returncode} before the platform was "
                    f"ready:\n{running.output()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"the platform was not ready in time:\n{running.output()}")
            time.sleep(0.2)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                reader.join(timeout=5)
                pytest.fail(f"run_platform.py did not stop on SIGINT:\n{running.output()}")
        reader.join(timeout=5)
    assert process.returncode == 0, (
        f"run_platform.py exited with {process.returncode}:\n{running.output()}"
    )
