"""A slow upstream (issue 7, point 3c).

The gateway's assessment upstream points at a tiny server started here that reads a request and
never answers. The gateway must answer 504 problem+json at its deadline (not two or three
deadlines later), and the slow server must have seen each request exactly once: nothing retried.
That matters most for a request that is not idempotent: a POST (a recompute, a submission) sent
twice would be done twice, so the POST must arrive once, with its body, on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from tests.resilience.conftest import DEADLINE, Platform

pytestmark = pytest.mark.e2e


class SilentServer:
    """Reads each request's head, counts it, and then says nothing until the peer hangs up."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.bodies: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head.split(b"\r\n", 1)[0])
                self.bodies.append(await reader.readexactly(_content_length(head)))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass  # the gateway gave up and closed the connection
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def test_slow_upstream_times_out_at_the_deadline_without_retry(platform: Platform) -> None:
    silent = SilentServer()
    server = await asyncio.start_server(silent.handle, "127.0.0.1", platform.slow_port)
    try:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as client:
            elapsed: list[float] = []
            for attempt, method in enumerate(("GET", "GET")):
                started = time.monotonic()
                response = await client.request(
                    method,
                    f"/api/assessment/cycles?attempt={attempt}",
                    headers=platform.admin_headers(),
                )
                elapsed.append(time.monotonic() - started)
                assert response.status_code == 504, response.text
                assert response.headers["content-type"].startswith("application/problem+json")
                problem = response.json()
                assert problem["status"] == 504
                assert "did not answer in time" in problem["detail"]
                assert problem["request_id"]
            await asyncio.sleep(0.3)  # a retry, if any, would have arrived by now
    finally:
        server.close()
        await server.wait_closed()
    # At the deadline: not before, and far from two deadlines (one retry would double it).
    assert all(DEADLINE - 0.05 <= e < DEADLINE * 1.6 for e in elapsed), elapsed
    assert len(silent.requests) == 2, silent.requests  # each request exactly once
    assert [r.split(b" ")[1] for r in silent.requests] == [
        b"/api/assessment/cycles?attempt=0",
        b"/api/assessment/cycles?attempt=1",
    ]


async def test_a_post_to_a_silent_upstream_is_sent_once_and_answered_504(
    platform: Platform,
) -> None:
    silent = SilentServer()
    server = await asyncio.start_server(silent.handle, "127.0.0.1", platform.slow_port)
    body = b'{"note": "\xe9\x87\x8d\xe7\xae\x97 once"}'  # "重算 once"
    try:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as client:
            started = time.monotonic()
            response = await client.post(
                "/api/assessment/cycles/c-1/recompute",
                content=body,
                headers={
                    **platform.admin_headers(),
                    "Content-Type": "application/json",
                    "Idempotency-Key": "resilience-post-once",
                },
            )
            elapsed = time.monotonic() - started
            assert response.status_code == 504, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["status"] == 504
            await asyncio.sleep(0.3)  # a retry, if any, would have arrived by now
    finally:
        server.close()
        await server.wait_closed()
    assert DEADLINE - 0.05 <= elapsed < DEADLINE * 1.6, elapsed
    # Exactly one request, on one connection, with its whole body: no retry, no second send.
    assert silent.requests == [b"POST /api/assessment/cycles/c-1/recompute HTTP/1.1"]
    assert silent.bodies == [body]
    assert silent.connections == 1
