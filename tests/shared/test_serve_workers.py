"""``ZHDJ_<PART>_WORKERS``: several processes of one part on one socket (real processes).

The service-requests service is started as ``python -m zhdj_service_requests`` with 2 workers
on a fresh PostgreSQL database and a free port: the one-time work (migrations, the catalog's
demo data) runs once, in the parent, before the workers start; each worker answers; SIGTERM to
the parent stops every worker, each finishing its in-flight request; a parent killed outright
takes its workers with it; a taken port and a failed setup still fail fast with one line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.resilience.conftest import PYTHON, Proc, base_env, free_port
from tests.resilience.test_sigterm_shutdown import read_response, refuses_connections
from tests.support.databases import PG_ADMIN_DSN, fresh_postgres_database, require_postgres

pytestmark = pytest.mark.e2e

PART = "zhdj_service_requests"
WAIT_SECONDS = 60.0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry.name))
    return found


def workers_of(pid: int) -> list[int]:
    """The parent's worker processes (not multiprocessing's resource tracker)."""
    found = []
    for child in children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"resource_tracker" not in command:
            found.append(child)
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@contextmanager
def stopped(pid: int) -> Iterator[None]:
    """The process is frozen (SIGSTOP): it accepts nothing until it is continued."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def postgres_url(dsn: str) -> str:
    return dsn.replace("postgresql+asyncpg://", "postgresql://")


@dataclass
class Started:
    proc: Proc
    port: int
    database_url: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.proc.log.read_text(errors="replace")


def start(tmp_path: Path, database_url: str, port: int, workers: int = 2) -> Proc:
    env = base_env(
        tmp_path,
        ZHDJ_SERVICE_REQUESTS_WORKERS=str(workers),
        ZHDJ_SERVICE_REQUESTS_PORT=str(port),
        ZHDJ_SERVICE_REQUESTS_DATABASE_URL=database_url,
        ZHDJ_SERVICE_REQUESTS_DEMO_REQUESTS="0",  # the catalog only
        ZHDJ_GATEWAY_URL="http://127.0.0.1:9",  # no token is verified here
    )
    return Proc("service-requests", [PYTHON, "-m", PART], env, tmp_path / "service.log").start()


@pytest.fixture
async def two_workers(tmp_path: Path) -> AsyncIterator[Started]:
    await require_postgres()
    database_url = await fresh_postgres_database("zhdj_test_workers")
    port = free_port()
    proc = start(tmp_path, database_url, port)
    started = Started(proc, port, database_url)
    try:
        await asyncio.to_thread(proc.wait_ready, f"{started.url}/readyz")
        await asyncio.to_thread(
            wait_until,
            lambda: (
                len(workers_of(proc.popen.pid)) == 2
                and started.log().count("Application startup complete") == 2
            ),
            "two workers did not start",
        )
        yield started
    finally:
        for worker in workers_of(proc.popen.pid):  # a test may leave one frozen
            os.kill(worker, signal.SIGCONT)
        proc.stop()


def answer_with_one_frozen(started: Started, frozen: int) -> int:
    with stopped(frozen):
        # A new connection each time: the one worker not frozen must accept it.
        response = httpx.get(f"{started.url}/readyz", timeout=10, headers={"Connection": "close"})
    return response.status_code


async def test_two_workers_answer_after_one_setup(two_workers: Started) -> None:
    parent = two_workers.proc.popen.pid
    first, second = workers_of(parent)

    # Each worker answers alone, with its own database pool (/readyz pings the database).
    assert await asyncio.to_thread(answer_with_one_frozen, two_workers, first) == 200
    assert await asyncio.to_thread(answer_with_one_frozen, two_workers, second) == 200

    log = two_workers.log()
    assert log.count("migrations applied") == 1, log
    assert log.count("demo data loaded") == 1, log
    assert "with 2 worker processes" in log
    # The one-time work was done before any worker existed.
    assert log.index("demo data loaded") < log.index(f"Started server process [{first}]")
    assert log.index("demo data loaded") < log.index(f"Started server process [{second}]")

    connection = await asyncpg.connect(postgres_url(two_workers.database_url))
    try:
        versions = await connection.fetch("SELECT version_num FROM alembic_version")
        items = await connection.fetchval("SELECT count(*) FROM service_items")
    finally:
        await connection.close()
    assert len(versions) == 1
    assert items > 0


def post_across_sigterm(started: Started) -> tuple[int, dict[str, str], bytes]:
    """Half a request to one worker, SIGTERM to the parent, then the rest of the request."""
    body = b'{"item_id": "item-urban-management-02", "description": "\xe8\xb7\xaf\xe7\x81\xaf"}'
    head = (
        f"POST /api/service-requests/requests HTTP/1.1\r\nHost: 127.0.0.1:{started.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", started.port), timeout=30) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.3)  # a worker has the request and waits for the rest of its body
        started.proc.popen.send_signal(signal.SIGTERM)
        wait_until(lambda: refuses_connections(started.port), "still accepting connections")
        assert started.proc.popen.poll() is None  # the parent waits for its workers
        sock.sendall(body[10:])
        return read_response(sock)


async def test_sigterm_to_the_parent_drains_every_worker(two_workers: Started) -> None:
    parent = two_workers.proc.popen.pid
    workers = workers_of(parent)

    status, headers, _ = await asyncio.to_thread(post_across_sigterm, two_workers)

    # Answered (no token: 401) rather than cut: the request in flight was finished.
    assert status == 401
    assert headers.get("connection") == "close"
    returncode = await asyncio.to_thread(two_workers.proc.popen.wait, WAIT_SECONDS)
    log = two_workers.log()
    assert returncode == 0, log
    for worker in workers:
        assert f"Finished server process [{worker}]" in log, log
        assert not alive(worker)
    assert "Traceback" not in log, log


async def test_workers_stop_when_their_parent_is_killed(two_workers: Started) -> None:
    parent = two_workers.proc.popen.pid
    workers = workers_of(parent)

    two_workers.proc.popen.kill()
    await asyncio.to_thread(two_workers.proc.popen.wait, WAIT_SECONDS)

    # Each worker gets SIGTERM from the kernel (PR_SET_PDEATHSIG) and shuts down cleanly.
    await asyncio.to_thread(
        wait_until, lambda: not any(alive(w) for w in workers), "orphaned workers still run"
    )
    log = two_workers.log()
    for worker in workers:
        assert f"Finished server process [{worker}]" in log, log


async def test_a_taken_port_fails_fast_before_any_setup(tmp_path: Path) -> None:
    await require_postgres()
    database_url = await fresh_postgres_database("zhdj_test_workers_port")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        proc = start(tmp_path, database_url, port)
        returncode = await asyncio.to_thread(proc.popen.wait, WAIT_SECONDS)
    log = proc.log.read_text()
    assert returncode == 1
    assert log.strip().splitlines() == [
        f"{PART}: port {port} on 127.0.0.1 is already in use; stop what is using it or set "
        "ZHDJ_SERVICE_REQUESTS_PORT to a free port"
    ]
    connection = await asyncpg.connect(postgres_url(database_url))
    try:
        tables = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()
    assert tables == 0  # nothing migrated


async def test_a_failed_setup_starts_no_worker(tmp_path: Path) -> None:
    await require_postgres()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    missing = f"{base}/zhdj_test_no_such_database_{os.getpid()}"
    proc = start(tmp_path, missing, free_port())
    try:
        returncode = await asyncio.to_thread(proc.popen.wait, WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.stop()
        raise
    log = proc.log.read_text()
    assert returncode == 1, log
    assert log.rstrip().endswith(f"{PART}: startup failed, see the log above"), log
    assert "does not exist" in log  # PostgreSQL's reason is in the log
    assert "Started server process" not in log
