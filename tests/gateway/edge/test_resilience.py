"""Upstream failures: 502/504 problems, the circuit breaker opening and recovering."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from fastapi import FastAPI

from tests.gateway.edge.conftest import EdgeFactory, UpstreamControl, free_port, serve
from zhdj_gateway.edge.breaker import CircuitBreaker


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


async def test_breaker_opens_after_failures_then_recovers(make_edge: EdgeFactory) -> None:
    port = free_port()
    registry = {"registry": f"http://127.0.0.1:{port}"}
    async with make_edge(upstreams=registry, breaker_failures=3, breaker_reset_seconds=0.3) as edge:
        down = [await edge.client.get("/api/registry/ok") for _ in range(3)]
        for response in down:
            assert_problem(response, 502)
        opened = await edge.client.get("/api/registry/ok")
        problem = assert_problem(opened, 503)  # answered at once: no connect attempt
        assert "unavailable" in problem["detail"]
        assert opened.headers["retry-after"] == "1"

        recovered = FastAPI()

        @recovered.get("/api/registry/ok")
        async def ok() -> dict[str, str]:
            return {"status": "back"}

        async with serve(recovered, port, lifespan="off"):
            still_open = await edge.client.get("/api/registry/ok")
            await asyncio.sleep(0.35)
            probe = await edge.client.get("/api/registry/ok")
            after = await edge.client.get("/api/registry/ok")
    assert_problem(still_open, 503)
    assert probe.json() == {"status": "back"}
    assert after.status_code == 200


async def test_upstream_503_counts_as_a_failure(
    make_edge: EdgeFactory, control: UpstreamControl
) -> None:
    async with make_edge(breaker_failures=2, breaker_reset_seconds=30) as edge:
        passed = [await edge.client.get("/api/registry/unavailable") for _ in range(2)]
        opened = await edge.client.get("/api/registry/ok")
        other_service = await edge.client.get("/api/service-requests/anything")
    assert [r.status_code for r in passed] == [503, 503]
    assert passed[0].content == b'{"detail": "db down"}'  # the service's own answer, untouched
    problem = assert_problem(opened, 503)
    assert "registry" in problem["detail"]
    assert control.calls == 3  # the open breaker kept the last one away; service-requests is apart
    assert other_service.status_code == 200


async def test_slow_upstream_is_a_504_within_the_deadline(make_edge: EdgeFactory) -> None:
    async with make_edge(upstream_deadline=0.3, upstream_read_timeout=0.25) as edge:
        started = time.monotonic()
        response = await edge.client.get("/api/registry/slow")
        elapsed = time.monotonic() - started
    assert_problem(response, 504)
    assert elapsed < 0.95  # the upstream takes 1 s


async def test_unreachable_host_is_a_502_problem(make_edge: EdgeFactory) -> None:
    async with make_edge(upstreams={"registry": f"http://127.0.0.1:{free_port()}"}) as edge:
        response = await edge.client.post("/api/registry/echo/x", json={"a": 1})
    problem = assert_problem(response, 502)
    assert problem["type"].endswith("/bad-gateway")


def test_breaker_half_open_lets_one_probe_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(2, 5.0, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert not breaker.allow()
    assert breaker.retry_in() == 5.0
    now[0] = 5.0
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.failure()  # the probe failed: open again for a full period
    assert not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()
    breaker.record_status(200)
    assert breaker.allow()
    assert not breaker.is_open


def test_breaker_counts_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(3, 5.0)
    for _ in range(2):
        breaker.failure()
    breaker.record_status(500)  # an application error is not unavailability
    breaker.failure()
    breaker.failure()
    assert not breaker.is_open
    breaker.record_status(504)
    assert breaker.is_open
