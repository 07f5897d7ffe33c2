"""What the benchmark scripts share: a scratch PostgreSQL database, the platform's processes
(the gateway and the registry, started as ``python -m ...`` like in production), an admin token
from the real gateway, and percentiles.

Each script runs as ``.venv/bin/python bench/<script>.py``; this folder is then first on
``sys.path``, so the scripts import this module as ``common``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_DSN = os.environ.get("ZHDJ_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ADMIN_PASSWORD = "Bench-admin-2026"  # noqa: S105 - throwaway password, throwaway database


# -- database -------------------------------------------------------------------------------------


def database_dsn(database: str) -> str:
    """The plain libpq/asyncpg DSN of ``database`` on the bench server."""
    return f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{database}"


async def fresh_database(database: str) -> str:
    """Drop and create ``database``; answer its SQLAlchemy URL (``postgresql+asyncpg://``)."""
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(
            f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0 "
            "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    finally:
        await connection.close()
    return database_dsn(database).replace("postgresql://", "postgresql+asyncpg://")


async def drop_database(database: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


# -- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Processes:
    """Every process a script starts, stopped (by its own handle) at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.started):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{url}: the process exited; its log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not answer in {timeout} s; log:\n{log.read_text()[-3000:]}")


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHDJ_")}
    env.update(
        {
            "ZHDJ_ENV": "development",
            "ZHDJ_DATA_DIR": str(tmp / "data"),
            "ZHDJ_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ZHDJ_LOG_LEVEL": "INFO",
        }
    )
    return env


def start_gateway(
    procs: Processes, port: int, registry_port: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = base_env(procs.tmp)
    env.update(
        {
            "ZHDJ_GATEWAY_PORT": str(port),
            "ZHDJ_GATEWAY_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
            # Limits far above the load: the limiter runs (its cost is measured), never refuses.
            "ZHDJ_GATEWAY_RATE_LIMIT_PER_IP": "1000000",
            "ZHDJ_GATEWAY_RATE_LIMIT_IP_BURST": "1000000",
            "ZHDJ_GATEWAY_RATE_LIMIT_PER_CLIENT": "1000000",
            "ZHDJ_GATEWAY_RATE_LIMIT_CLIENT_BURST": "1000000",
            **(extra_env or {}),
        }
    )
    process = procs.start("gateway", [PYTHON, "-m", "zhdj_gateway"], env)
    wait_http(f"http://127.0.0.1:{port}/healthz", process, procs.tmp / "gateway.log")
    return process


def start_registry(
    procs: Processes,
    port: int,
    gateway_port: int,
    url: str,
    *,
    demo_data: bool = True,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    env = base_env(procs.tmp)
    env.update(
        {
            "ZHDJ_REGISTRY_PORT": str(port),
            "ZHDJ_REGISTRY_DATABASE_URL": url,
            "ZHDJ_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
            "ZHDJ_REGISTRY_LOAD_DEMO_DATA": "true" if demo_data else "false",
            **(extra_env or {}),
        }
    )
    process = procs.start("registry", [PYTHON, "-m", "zhdj_registry"], env)
    wait_http(f"http://127.0.0.1:{port}/healthz", process, procs.tmp / "registry.log")
    return process


def admin_token(gateway: str) -> str:
    """A bearer token of the platform administrator, from the gateway's password grant."""
    form = urllib.parse.urlencode(
        {"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}
    ).encode()
    request = urllib.request.Request(f"{gateway}/auth/token", data=form, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local URL
        token: str = json.loads(response.read())["access_token"]
    return token


# -- figures --------------------------------------------------------------------------------------


def machine_speed() -> str:
    """One core's speed at pure Python, to compare figures taken on different days.

    Machines of the same kind differ: on 2026-12-04 the same commit spent ~1.5x the CPU per
    request of the mixed load that it spent on 2026-12-03 (bench/README.md). Printed with every
    benchmark's figures, this tells a slower machine from a slower commit. Best of three runs
    of a function-local loop, so a neighbour's burst counts less.
    """
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    one, five, fifteen = os.getloadavg()
    return (
        f"machine: reference loop {best * 4:.2f} s (20M pure-Python additions, one core; lower is "
        f"faster), load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"
    )


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
