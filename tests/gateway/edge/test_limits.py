"""Rate limits (memory and Redis backends) and the request body size limit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.gateway.edge.conftest import VALID_API_KEY, EdgeFactory, UpstreamControl, free_port
from tests.support.tokens import TestKeys
from zhdj_gateway.app import create_app
from zhdj_gateway.edge import MemoryRateLimiter, RedisRateLimiter
from zhdj_gateway.settings import GatewaySettings
from zhdj_shared.settings import StartupWork

REDIS_URL = "redis://127.0.0.1:6379/0"


def assert_429(response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["status"] == 429


# -- per client ---------------------------------------------------------------------------------


async def test_a_client_over_its_bucket_gets_429(make_edge: EdgeFactory, keys: TestKeys) -> None:
    alice = keys.bearer(sub="alice")
    bob = keys.bearer(sub="bob")
    async with make_edge(rate_limit_per_client=0.5, rate_limit_client_burst=2) as edge:
        first = [await edge.client.get("/api/registry/ok", headers=alice) for _ in range(2)]
        refused = await edge.client.get("/api/registry/ok", headers=alice)
        other = await edge.client.get("/api/registry/ok", headers=bob)
    assert [r.status_code for r in first] == [200, 200]
    assert_429(refused)
    assert int(refused.headers["retry-after"]) == 2  # one token at 0.5/s
    assert other.status_code == 200


async def test_the_client_id_claim_is_the_key(make_edge: EdgeFactory, keys: TestKeys) -> None:
    # Two tokens of one client (different subjects) share its bucket.
    one = keys.bearer(sub="svc-a", client_id="shared-client")
    two = keys.bearer(sub="svc-b", client_id="shared-client")
    async with make_edge(rate_limit_per_client=0.5, rate_limit_client_burst=1) as edge:
        allowed = await edge.client.get("/api/registry/ok", headers=one)
        refused = await edge.client.get("/api/registry/ok", headers=two)
    assert allowed.status_code == 200
    assert_429(refused)


async def test_api_key_clients_are_limited_per_client(make_edge: EdgeFactory) -> None:
    key = {"X-API-Key": VALID_API_KEY}
    async with make_edge(rate_limit_per_client=0.5, rate_limit_client_burst=1) as edge:
        allowed = await edge.client.get("/api/registry/ok", headers=key)
        refused = await edge.client.get("/api/registry/ok", headers=key)
    assert allowed.status_code == 200
    assert_429(refused)


async def test_an_invalid_token_passes_through_but_earns_no_bucket(
    make_edge: EdgeFactory, keys: TestKeys, control: UpstreamControl
) -> None:
    forged = TestKeys(kid=keys.kid).bearer(sub="victim")  # right kid, wrong signature
    async with make_edge(rate_limit_per_client=0.5, rate_limit_client_burst=1) as edge:
        passed = [await edge.client.get("/api/registry/ok", headers=forged) for _ in range(4)]
        # The forged tokens did not spend the real "victim" bucket either.
        real = await edge.client.get("/api/registry/ok", headers=keys.bearer(sub="victim"))
    assert [r.status_code for r in passed] == [200] * 4  # the service answers 401 itself
    assert control.calls == 5
    assert real.status_code == 200


# -- per IP ---------------------------------------------------------------------------------------


async def test_an_address_over_its_bucket_gets_429(make_edge: EdgeFactory, keys: TestKeys) -> None:
    async with make_edge(rate_limit_per_ip=0.5, rate_limit_ip_burst=3) as edge:
        statuses = [(await edge.client.get("/api/registry/ok")).status_code for _ in range(3)]
        refused_proxy = await edge.client.get("/api/registry/ok")
        refused_identity = await edge.client.get("/auth/me")
        forged = TestKeys(kid=keys.kid).bearer(sub="u1")  # a token that does not verify
        refused_forged = await edge.client.get("/api/registry/ok", headers=forged)
        probe = await edge.client.get("/healthz")
    assert statuses == [200, 200, 200]
    assert_429(refused_proxy)
    assert_429(refused_identity)
    assert_429(refused_forged)
    assert probe.status_code == 200  # probes are never limited


async def test_callers_with_a_valid_token_are_limited_per_client_not_per_address(
    make_edge: EdgeFactory, keys: TestKeys
) -> None:
    """Many users behind one address (a NAT, the ingress) do not share the address's bucket."""
    async with make_edge(
        rate_limit_per_ip=0.5,
        rate_limit_ip_burst=1,
        rate_limit_per_client=0.5,
        rate_limit_client_burst=2,
    ) as edge:
        users = [
            (await edge.client.get("/api/registry/ok", headers=keys.bearer(sub=f"u{i}")))
            for i in range(5)
        ]
        alice = keys.bearer(sub="alice")
        alices = [await edge.client.get("/api/registry/ok", headers=alice) for _ in range(3)]
    assert [r.status_code for r in users] == [200] * 5
    assert [r.status_code for r in alices[:2]] == [200, 200]
    assert_429(alices[2])  # her own bucket still applies


async def test_platform_services_have_their_own_larger_rate(
    make_edge: EdgeFactory, keys: TestKeys
) -> None:
    service = keys.bearer(
        sub="svc-assessment", client_id="svc-assessment", kind="client", roles=["service"]
    )
    # Roles as a space-separated string read the same (as every service reads them).
    service_string_roles = keys.bearer(
        sub="svc-activity", client_id="svc-activity", kind="client", roles="service"
    )
    partner = keys.bearer(sub="partner", client_id="partner", kind="client", roles=["third_party"])
    async with make_edge(
        rate_limit_per_client=0.5,
        rate_limit_client_burst=2,
        rate_limit_per_service_client=0.5,
        rate_limit_service_client_burst=10,
    ) as edge:
        services = [await edge.client.get("/api/registry/ok", headers=service) for _ in range(10)]
        strings = [
            await edge.client.get("/api/registry/ok", headers=service_string_roles)
            for _ in range(10)
        ]
        partners = [await edge.client.get("/api/registry/ok", headers=partner) for _ in range(3)]
        over = await edge.client.get("/api/registry/ok", headers=service)
    assert [r.status_code for r in services] == [200] * 10
    assert [r.status_code for r in strings] == [200] * 10
    assert [r.status_code for r in partners[:2]] == [200, 200]
    assert_429(partners[2])
    assert_429(over)


# -- backends -----------------------------------------------------------------------------------


async def test_memory_bucket_refills_at_the_rate() -> None:
    now = [100.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    assert [await limiter.hit("k", 2.0, 2) for _ in range(2)] == [0.0, 0.0]
    assert await limiter.hit("k", 2.0, 2) == pytest.approx(0.5)
    now[0] += 0.5
    assert await limiter.hit("k", 2.0, 2) == 0.0
    assert await limiter.hit("k", 0.0, 0) == 0.0  # rate 0: unlimited


async def test_memory_limiter_prunes_idle_buckets() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(max_keys=10, clock=lambda: now[0])
    for i in range(10):
        await limiter.hit(f"k{i}", 1.0, 5)
    now[0] += 10  # every bucket is full again, the same as absent
    await limiter.hit("new", 1.0, 5)
    assert list(limiter._buckets) == ["new"]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"zhdj:test:{uuid.uuid4().hex}:"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_redis_buckets_are_shared_between_replicas(redis_prefix: str) -> None:
    one = RedisRateLimiter.from_url(REDIS_URL, prefix=redis_prefix)
    two = RedisRateLimiter.from_url(REDIS_URL, prefix=redis_prefix)
    try:
        results = [await one.hit("ip:1.2.3.4", 1.0, 3), await two.hit("ip:1.2.3.4", 1.0, 3)]
        results.append(await one.hit("ip:1.2.3.4", 1.0, 3))
        refused = await two.hit("ip:1.2.3.4", 1.0, 3)
        other = await two.hit("ip:5.6.7.8", 1.0, 3)
        ttl = await Redis.from_url(REDIS_URL).pttl(redis_prefix + "ip:1.2.3.4")
    finally:
        await one.aclose()
        await two.aclose()
    assert results == [0.0, 0.0, 0.0]
    assert 0.9 < refused <= 1.0
    assert other == 0.0
    assert 0 < ttl <= 4000  # full again after burst/rate seconds: the key expires


async def test_redis_backend_through_the_edge(
    make_edge: EdgeFactory, keys: TestKeys, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter.from_url(REDIS_URL, prefix=redis_prefix)
    async with make_edge(
        rate_limiter=limiter, rate_limit_per_client=0.5, rate_limit_client_burst=2
    ) as edge:
        token = keys.bearer(sub="redis-user")
        statuses = [
            (await edge.client.get("/api/registry/ok", headers=token)).status_code for _ in range(3)
        ]
        refused = await edge.client.get("/api/registry/ok", headers=token)
    assert statuses == [200, 200, 429]
    assert_429(refused)
    client = Redis.from_url(REDIS_URL)
    stored = await client.exists(redis_prefix + "client:redis-user")
    await client.aclose()
    assert stored == 1


async def test_redis_down_fails_open_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter.from_url(f"redis://127.0.0.1:{free_port()}/0", prefix="x:")
    with caplog.at_level(logging.WARNING, logger="zhdj.gateway.ratelimit"):
        results = [await limiter.hit("ip:1.2.3.4", 1.0, 1) for _ in range(3)]
    await limiter.aclose()
    assert results == [0.0, 0.0, 0.0]
    warnings = [r for r in caplog.records if "failing open" in r.getMessage()]
    assert len(warnings) == 1  # then it backs off instead of retrying on every request


# -- body size ------------------------------------------------------------------------------------


async def test_declared_body_over_the_limit_is_413(
    make_edge: EdgeFactory, control: UpstreamControl
) -> None:
    async with make_edge(max_body_bytes=1000) as edge:
        refused = await edge.client.post("/api/registry/echo/x", content=b"x" * 1001)
        on_identity = await edge.client.post("/auth/upload", content=b"x" * 1001)
        allowed = await edge.client.post("/api/registry/echo/x", content=b"x" * 1000)
    for response in (refused, on_identity):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
    assert allowed.status_code == 201
    assert control.calls == 1


async def test_chunked_body_over_the_limit_is_413(make_edge: EdgeFactory) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"y" * 400

    async def small() -> AsyncIterator[bytes]:
        yield b"y" * 400

    async with make_edge(max_body_bytes=1000) as edge:
        proxied = await edge.client.post("/api/registry/upload", content=chunks())
        on_identity = await edge.client.post("/auth/upload", content=chunks())
        allowed = await edge.client.post("/auth/upload", content=small())
    for response in (proxied, on_identity):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 413
    assert allowed.json() == {"size": 400}


@pytest.mark.parametrize(
    ("workers", "redis_url", "work", "warned"),
    [
        (2, None, StartupWork.SETUP_ONLY, True),  # the parent says it, once
        (2, None, StartupWork.SERVE_ONLY, False),  # not each worker again
        (2, REDIS_URL, StartupWork.SETUP_ONLY, False),  # shared buckets: exact limits
        (1, None, StartupWork.ALL, False),  # one process: exact limits
    ],
)
def test_limits_counted_per_worker_are_said_at_start(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    workers: int,
    redis_url: str | None,
    work: StartupWork,
    warned: bool,
) -> None:
    if redis_url:
        monkeypatch.setenv("ZHDJ_REDIS_URL", redis_url)  # the variable (the field has aliases)
    settings = GatewaySettings(
        workers=workers,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}",
    ).for_startup(work)
    with caplog.at_level(logging.WARNING, logger="zhdj.gateway"):
        create_app(settings)
    assert ("counted per worker process" in caplog.text) is warned
