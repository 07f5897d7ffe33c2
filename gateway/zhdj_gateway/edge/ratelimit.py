"""Token-bucket rate limits (a sustained rate plus a burst, as in Traefik and Envoy).

One protocol, two backends: :class:`MemoryRateLimiter` (one process, the default) and
:class:`RedisRateLimiter` (shared by every gateway replica; one atomic Lua script per hit, the
clock is Redis's so replicas need not agree on time). When Redis does not answer, the limiter
fails open: the request goes through and a warning is logged (at most once per back-off period).

A rate of 0 or less means "no limit".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("zhdj.gateway.ratelimit")


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: float, burst: int) -> float:
        """Take one token from ``key``'s bucket: 0.0 when allowed, else seconds to wait."""
        ...

    async def aclose(self) -> None: ...


class MemoryRateLimiter:
    """Buckets in a dict; a full bucket is the same as no bucket, so idle keys can be pruned."""

    def __init__(
        self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, updated_at, rate, burst]
        self._max_keys = max_keys
        self._clock = clock

    async def hit(self, key: str, rate: float, burst: int) -> float:
        if rate <= 0:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._prune(now)
            self._buckets[key] = [burst - 1.0, now, rate, float(burst)]
            return 0.0 if burst >= 1 else 1.0 / rate
        tokens = min(float(burst), bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / rate

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, (tokens, updated, rate, burst) in self._buckets.items()
            if tokens + (now - updated) * rate >= burst
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:  # still full of busy keys: drop the oldest half
            for key in list(self._buckets)[: self._max_keys // 2]:
                del self._buckets[key]

    async def aclose(self) -> None:
        self._buckets.clear()


# KEYS[1] bucket; ARGV rate (tokens/s), burst. Returns {allowed 0|1, seconds to wait as text}.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, string.format('%.6f', wait)}
"""


class RedisRateLimiter:
    """Buckets as Redis hashes under ``prefix``, updated atomically by one Lua script."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "zhdj:gateway:ratelimit:",
        backoff_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self._script = client.register_script(_BUCKET_SCRIPT)
        self._prefix = prefix
        self._backoff = backoff_seconds
        self._down_until = float("-inf")

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisRateLimiter:
        # Short socket timeouts: a slow Redis must not become a slow gateway.
        client = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        return cls(client, **kwargs)

    async def hit(self, key: str, rate: float, burst: int) -> float:
        if rate <= 0:
            return 0.0
        if time.monotonic() < self._down_until:
            return 0.0  # failing open without waiting for another timeout
        try:
            allowed, wait = await self._script(keys=[self._prefix + key], args=[rate, burst])
        except (RedisError, OSError) as exc:
            self._down_until = time.monotonic() + self._backoff
            logger.warning(
                "rate-limit store unavailable, failing open",
                extra={"fields": {"error": type(exc).__name__, "detail": str(exc)}},
            )
            return 0.0
        return 0.0 if int(allowed) == 1 else float(wait)

    async def aclose(self) -> None:
        await self._client.aclose()
