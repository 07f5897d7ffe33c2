"""A service killed during a stream of requests (issue 7, point 3a).

The registry is SIGKILLed while a client keeps reading through the gateway. Every answer during
the outage must come fast (well under a second) as problem+json: 502 while the gateway still
tries the upstream, then 503 with ``Retry-After`` once the breaker is open (answered without
contacting the upstream). The registry is then started again on the same port, and traffic
must recover by itself, through the very same gateway process.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.resilience.conftest import BREAKER_FAILURES, BREAKER_RESET, Platform

pytestmark = pytest.mark.e2e

ORG = "/api/registry/organizations/demo-city"
FAILURES = BREAKER_FAILURES
RESET = BREAKER_RESET
FAST = 1.0  # every answer during the outage comes within this (seconds)


def test_killed_service_fails_fast_opens_the_breaker_and_recovers(live: Platform) -> None:
    stack = live
    registry = stack.ensure_registry()
    gateway_pid = stack.gateway.popen.pid if stack.gateway else None
    headers = stack.admin_headers()

    with httpx.Client(base_url=stack.gateway_url, headers=headers, timeout=10) as client:
        for _ in range(10):  # the stream, before the fault
            response = client.get(ORG)
            assert response.status_code == 200, response.text

        registry.popen.kill()
        registry.popen.wait(timeout=10)

        # The outage: a steady stream, every answer fast and a problem document.
        outage: list[tuple[int, float, httpx.Response]] = []
        for _ in range(12):
            started = time.monotonic()
            response = client.get(ORG)
            outage.append((response.status_code, time.monotonic() - started, response))
            time.sleep(0.02)
        statuses = [status for status, _, _ in outage]
        assert set(statuses) <= {502, 503}, statuses
        assert max(elapsed for _, elapsed, _ in outage) < FAST, outage
        for _, _, response in outage:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["status"] == response.status_code
            assert response.json()["request_id"]
        # The first failures reach the (dead) upstream: 502; then the breaker is open: 503
        # with Retry-After, without an attempt.
        # (After the reset time a single probe is let through: a 502 again, and open again.)
        assert statuses[:FAILURES] == [502] * FAILURES, statuses
        assert 503 in statuses[FAILURES:], statuses
        opened = outage[statuses.index(503)][2]
        assert opened.headers["retry-after"] == "1"
        assert "unavailable" in opened.json()["detail"]

        # The registry comes back on the same port; the gateway is not touched.
        restarted = stack.start_registry()
        assert restarted.popen.pid != registry.popen.pid
        deadline = time.monotonic() + 10
        recovered_after: float | None = None
        started = time.monotonic()
        while time.monotonic() < deadline:
            response = client.get(ORG)
            if response.status_code == 200:
                recovered_after = time.monotonic() - started
                break
            assert response.status_code in {502, 503}, response.text
            time.sleep(0.05)
        assert recovered_after is not None, "traffic did not recover within 10 s"
        assert recovered_after < RESET + 1.5
        for _ in range(10):  # and stays recovered
            response = client.get(ORG)
            assert response.status_code == 200, response.text
            assert response.json()["id"] == "demo-city"

    assert stack.gateway is not None
    assert stack.gateway.popen.poll() is None
    assert stack.gateway.popen.pid == gateway_pid
