"""The real processes for the resilience tests (issue 7, point 3).

The package's tests share one ``python -m zhdj_gateway`` and one ``python -m zhdj_registry`` on
free ports, both on a private PostgreSQL instance (``PrivatePostgres``: ``initdb`` in a temporary
folder, its own port), so that a test may restart PostgreSQL without touching the machine's
shared cluster: the registry's data in its ``postgres`` database, the gateway's identity store in
a ``gateway`` database of the same server. Timeouts and breaker settings are short so that every
fault shows within a second or two. Every process started here is stopped by its own handle.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.databases import REQUIRE_POSTGRES

PYTHON = sys.executable
PG_BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT = 60.0
GATEWAY_DATABASE = "gateway"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHDJ_")}
    env.update(
        ZHDJ_ENV="development",
        ZHDJ_DATA_DIR=str(tmp / "data"),
        ZHDJ_LOG_JSON="false",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@dataclass
class Proc:
    """One real process, its log in a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.log.parent
            )
        return self

    @property
    def popen(self) -> subprocess.Popen[bytes]:
        assert self.process is not None
        return self.process

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_ready(self, url: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        pytest.fail(f"{self.name}: {url} not ready in {timeout} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# Short timeouts for quick faults. The deadline governs (the read timeout is above it).
DEADLINE = 1.5  # ZHDJ_GATEWAY_UPSTREAM_DEADLINE
BREAKER_FAILURES = 3  # ZHDJ_GATEWAY_BREAKER_FAILURES
BREAKER_RESET = 0.5  # ZHDJ_GATEWAY_BREAKER_RESET_SECONDS


@dataclass
class Platform:
    """The gateway and the registry, shared by the resilience tests (starting them is the cost).

    Both databases are on ``postgres`` (a private PostgreSQL instance that a test may restart).
    The gateway's assessment upstream points at ``slow_port``, where the slow-upstream test
    listens. A test that kills or stops the registry starts it again (``ensure_registry``).
    """

    tmp: Path
    postgres: PrivatePostgres
    admin_password: str = field(default_factory=lambda: "resil-" + secrets.token_urlsafe(12))
    gateway_port: int = field(default_factory=free_port)
    registry_port: int = field(default_factory=free_port)
    slow_port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)
    gateway: Proc | None = None
    registry: Proc | None = None
    _headers: dict[str, str] | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def registry_url(self) -> str:
        return f"http://127.0.0.1:{self.registry_port}"

    @property
    def registry_db(self) -> str:
        return self.postgres.url("postgres")

    @property
    def gateway_db(self) -> str:
        return self.postgres.url(GATEWAY_DATABASE)

    def start_gateway(self, *, wait: bool = True) -> Proc:
        env = base_env(
            self.tmp,
            ZHDJ_ADMIN_PASSWORD=self.admin_password,
            ZHDJ_GATEWAY_PORT=str(self.gateway_port),
            ZHDJ_GATEWAY_DATABASE_URL=self.gateway_db,
            ZHDJ_GATEWAY_LOAD_DEMO_DATA="false",
            ZHDJ_GATEWAY_REGISTRY_URL=self.registry_url,
            ZHDJ_GATEWAY_ASSESSMENT_URL=f"http://127.0.0.1:{self.slow_port}",
            ZHDJ_GATEWAY_UPSTREAM_CONNECT_TIMEOUT="0.5",
            ZHDJ_GATEWAY_UPSTREAM_READ_TIMEOUT="30",
            ZHDJ_GATEWAY_UPSTREAM_DEADLINE=str(DEADLINE),
            ZHDJ_GATEWAY_BREAKER_FAILURES=str(BREAKER_FAILURES),
            ZHDJ_GATEWAY_BREAKER_RESET_SECONDS=str(BREAKER_RESET),
            ZHDJ_GATEWAY_RATE_LIMIT_PER_IP="100000",
            ZHDJ_GATEWAY_RATE_LIMIT_IP_BURST="100000",
            ZHDJ_GATEWAY_RATE_LIMIT_PER_CLIENT="100000",
            ZHDJ_GATEWAY_RATE_LIMIT_CLIENT_BURST="100000",
            # Cheap password hashes: the tests stream token grants and user creations.
            ZHDJ_GATEWAY_PASSWORD_HASH_COST="4",
        )
        self.gateway = Proc(
            "gateway", [PYTHON, "-m", "zhdj_gateway"], env, self.tmp / "gateway.log"
        )
        self.procs.append(self.gateway.start())
        if wait:
            self.gateway.wait_ready(f"{self.gateway_url}/readyz")
        return self.gateway

    def start_registry(self, *, demo: bool = False, wait: bool = True) -> Proc:
        env = base_env(
            self.tmp,
            ZHDJ_REGISTRY_PORT=str(self.registry_port),
            ZHDJ_REGISTRY_DATABASE_URL=self.registry_db,
            ZHDJ_REGISTRY_LOAD_DEMO_DATA="true" if demo else "false",
            ZHDJ_GATEWAY_URL=self.gateway_url,
        )
        self.registry = Proc(
            "registry", [PYTHON, "-m", "zhdj_registry"], env, self.tmp / "registry.log"
        )
        self.procs.append(self.registry.start())
        if wait:
            self.registry.wait_ready(f"{self.registry_url}/readyz")
        return self.registry

    def ensure_registry(self) -> Proc:
        if self.registry is None or self.registry.popen.poll() is not None:
            return self.start_registry()
        return self.registry

    def admin_headers(self) -> dict[str, str]:
        if self._headers is None:
            response = httpx.post(
                f"{self.gateway_url}/auth/token",
                data={
                    "grant_type": "password",
                    "username": "admin",
                    "password": self.admin_password,
                },
                timeout=30,
            )
            assert response.status_code == 200, response.text
            self._headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self._headers

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture(scope="package")
async def platform() -> AsyncIterator[Platform]:
    tmp = Path(tempfile.mkdtemp(prefix="zhdj-resilience-"))
    # Not under pytest's temporary folder: that one is private to the current user (0700), and
    # the server runs as ``postgres`` when we are root.
    postgres = PrivatePostgres(Path(tempfile.mkdtemp(prefix="zhdj-private-pg-")))
    running = Platform(tmp, postgres)
    try:
        postgres.create()
        await postgres.create_database(GATEWAY_DATABASE)
        # Both start at once (the registry does not need the gateway to start, only to verify
        # tokens later), each migrating its own database.
        gateway = running.start_gateway(wait=False)
        registry = running.start_registry(demo=True, wait=False)
        gateway.wait_ready(f"{running.gateway_url}/readyz")
        registry.wait_ready(f"{running.registry_url}/readyz")
        yield running
    finally:
        running.stop_all()
        postgres.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def live(platform: Platform) -> Platform:
    """The shared platform with its registry running (a previous test may have stopped it)."""
    platform.ensure_registry()
    return platform


# -- a private PostgreSQL instance -------------------------------------------------------------


def _as_postgres_user(argv: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server's tools as ``postgres`` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of this test's own (``initdb`` in a temporary folder, its own port)."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def dsn(self) -> str:
        return self.dsn_of("postgres")

    def dsn_of(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL the platform's processes take."""
        return self.dsn_of(database).replace("postgresql://", "postgresql+asyncpg://")

    async def create_database(self, name: str) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    def _run(self, *args: str, timeout: float = 60) -> None:
        completed = subprocess.run(
            _as_postgres_user([str(PG_BIN / args[0]), *args[1:]]),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            log = self.root / "server.log"
            server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"{args[0]} failed: {completed.stdout}{completed.stderr}\n{server_log}")

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
            "-w", "-t", "30", *args,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate")

    def create(self) -> None:
        """initdb and start; fails (or skips, outside CI) without the server programs."""
        if not PG_BIN.joinpath("initdb").exists() or (
            os.geteuid() == 0 and shutil.which("runuser") is None
        ):
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL's server programs are required but not under {PG_BIN}")
            pytest.skip(f"no PostgreSQL server programs under {PG_BIN}")
        self.init()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
