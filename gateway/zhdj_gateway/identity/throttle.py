"""Login throttling against password guessing.

Failures are counted per username and, separately, per client IP, in a fixed window that opens at
the first failure. Once a counter reaches its limit, every attempt on that username (or from that
IP) is refused with 429 until the window closes, even with the right password. A success resets
the username's counter. The IP limit is a multiple of the username limit, so one office behind a
NAT does not lock itself out after a few typos, while a spray over many usernames still stops.

In memory for a single process; in Redis (shared by the replicas) when ``ZHDJ_REDIS_URL`` is set.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

IP_LIMIT_FACTOR = 4
MAX_TRACKED = 100_000


def _username_key(username: str) -> str:
    return "u:" + username.strip().casefold()


def _ip_key(ip: str) -> str:
    return "ip:" + ip


class LoginThrottle(Protocol):
    async def retry_after(self, username: str, ip: str | None) -> int | None:
        """Seconds to wait when attempts are blocked, else None."""

    async def failed(self, username: str, ip: str | None) -> None: ...

    async def succeeded(self, username: str) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class _Window:
    count: int
    ends: float


class MemoryLoginThrottle:
    def __init__(
        self, max_failures: int, window_seconds: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limits = {"u": max_failures, "ip": max_failures * IP_LIMIT_FACTOR}
        self._window = window_seconds
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def _keys(self, username: str, ip: str | None) -> list[str]:
        return [_username_key(username)] + ([_ip_key(ip)] if ip else [])

    def _limit(self, key: str) -> int:
        return self._limits[key.split(":", 1)[0]]

    async def retry_after(self, username: str, ip: str | None) -> int | None:
        now = self._clock()
        waits = [
            window.ends - now
            for key in self._keys(username, ip)
            if (window := self._windows.get(key)) is not None
            and window.ends > now
            and window.count >= self._limit(key)
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    async def failed(self, username: str, ip: str | None) -> None:
        now = self._clock()
        if len(self._windows) > MAX_TRACKED:
            self._windows = {k: w for k, w in self._windows.items() if w.ends > now}
        for key in self._keys(username, ip):
            window = self._windows.get(key)
            if window is None or window.ends <= now:
                self._windows[key] = _Window(1, now + self._window)
            else:
                window.count += 1

    async def succeeded(self, username: str) -> None:
        self._windows.pop(_username_key(username), None)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisLoginThrottle:
    def __init__(
        self,
        redis: Redis,
        max_failures: int,
        window_seconds: int,
        *,
        prefix: str = "zhdj:gateway:login:",
    ) -> None:
        self._redis = redis
        self._limits = {"u": max_failures, "ip": max_failures * IP_LIMIT_FACTOR}
        self._window = window_seconds
        self._prefix = prefix

    def _keys(self, username: str, ip: str | None) -> list[tuple[str, int]]:
        keys = [(_username_key(username), self._limits["u"])]
        if ip:
            keys.append((_ip_key(ip), self._limits["ip"]))
        return keys

    async def retry_after(self, username: str, ip: str | None) -> int | None:
        keys = self._keys(username, ip)
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, _limit in keys:
                pipe.get(self._prefix + key)
                pipe.pttl(self._prefix + key)
            replies = await pipe.execute()
        waits = [
            int(ttl)
            for (_key, limit), count, ttl in zip(keys, replies[0::2], replies[1::2], strict=True)
            if count is not None and int(count) >= limit and int(ttl) > 0
        ]
        return max(1, math.ceil(max(waits) / 1000)) if waits else None

    async def failed(self, username: str, ip: str | None) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, _limit in self._keys(username, ip):
                pipe.set(self._prefix + key, 0, ex=self._window, nx=True)  # opens the window
                pipe.incr(self._prefix + key)
            await pipe.execute()

    async def succeeded(self, username: str) -> None:
        await self._redis.delete(self._prefix + _username_key(username))

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def create_throttle(
    redis_url: str | None, max_failures: int, window_seconds: int
) -> MemoryLoginThrottle | RedisLoginThrottle:
    if redis_url:
        return RedisLoginThrottle(Redis.from_url(redis_url), max_failures, window_seconds)
    return MemoryLoginThrottle(max_failures, window_seconds)
