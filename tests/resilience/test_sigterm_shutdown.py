"""Graceful shutdown (issue 7, point 3d): a service stopped with SIGTERM finishes its in-flight
requests.

A request to create an organization is sent straight to the registry over a raw socket: the
head and half of the body, so the request is in flight (the app is waiting for the rest of its
body). Then SIGTERM: the registry stops accepting connections, but the in-flight request is
completed once its body arrives (201, and the row is in the database), and the process then
exits by itself.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time

import asyncpg
import httpx
import pytest

from tests.resilience.conftest import Platform

pytestmark = pytest.mark.e2e

ORGS = "/api/registry/organizations"
PARENT = "demo-s-xinhua-chaoyang-c1"


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except ConnectionRefusedError:
        return True


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), {k.lower(): v for k, v in headers.items()}, body


def request_across_sigterm(live: Platform, name: str) -> tuple[int, dict[str, str], bytes]:
    """Send half a request, SIGTERM the registry, check it is shutting down, send the rest."""
    registry = live.registry
    assert registry is not None
    body = json.dumps(
        {"name": name, "kind": "branch", "sector": "community", "parent_id": PARENT}
    ).encode()
    head = (
        f"POST {ORGS} HTTP/1.1\r\nHost: 127.0.0.1:{live.registry_port}\r\n"
        f"Authorization: {live.admin_headers()['Authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    half = len(body) // 2
    with socket.create_connection(("127.0.0.1", live.registry_port), timeout=30) as sock:
        sock.sendall(head + body[:half])
        time.sleep(0.3)  # the app has the request and waits for the rest of the body

        registry.popen.send_signal(signal.SIGTERM)
        # Shutdown has begun: no new connections are accepted ...
        deadline = time.monotonic() + 10
        while not refuses_connections(live.registry_port):
            assert time.monotonic() < deadline, "the registry still accepts connections"
            time.sleep(0.05)
        time.sleep(0.3)
        assert registry.popen.poll() is None  # ... but the process waits for our request

        sock.sendall(body[half:])
        return read_response(sock)


async def test_sigterm_finishes_the_in_flight_request(live: Platform) -> None:
    registry = live.ensure_registry()
    name = f"优雅停机党支部{time.time_ns() % 10**9}"
    # Warm up: the registry has the gateway's signing keys and a pooled database connection.
    async with httpx.AsyncClient(base_url=live.registry_url, timeout=30) as client:
        warm = await client.post(
            ORGS,
            json={
                "name": f"{name}预热",
                "kind": "branch",
                "sector": "community",
                "parent_id": PARENT,
            },
            headers=live.admin_headers(),
        )
    assert warm.status_code == 201, warm.text
    log_start = registry.log.stat().st_size

    status, headers, body = await asyncio.to_thread(request_across_sigterm, live, name)

    assert status == 201, body
    created = json.loads(body)
    assert created["name"] == name
    assert headers.get("connection") == "close"
    # The process then exits by itself, well within the grace period. uvicorn re-raises the
    # SIGTERM it handled once it has shut down, so the status may be "terminated by SIGTERM".
    returncode = await asyncio.to_thread(registry.popen.wait, 15)
    log = registry.log.read_bytes()[log_start:].decode(errors="replace")
    assert returncode in (0, -signal.SIGTERM), (returncode, log)
    assert "Finished server process" in log, log
    assert "Traceback" not in log, log

    connection = await asyncpg.connect(live.postgres.dsn)
    try:
        stored = await connection.fetchval(
            "SELECT count(*) FROM organizations WHERE id = $1 AND name = $2", created["id"], name
        )
    finally:
        await connection.close()
    assert stored == 1
