"""Password hashing: scrypt strings that verify, and a bound on hashes running at once."""

from __future__ import annotations

import asyncio
import threading

from zhdj_gateway.identity.passwords import PasswordHasher


class CountingHasher(PasswordHasher):
    """The real hasher, recording how many hashes are inside scrypt at the same moment."""

    def __init__(self, concurrency: int) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        super().__init__(cost=12, concurrency=concurrency)

    def _enter(self) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)

    def _leave(self) -> None:
        with self._lock:
            self.running -= 1

    def hash_sync(self, secret: str) -> str:
        self._enter()
        try:
            return super().hash_sync(secret)
        finally:
            self._leave()

    def verify_sync(self, secret: str, encoded: str) -> bool:  # type: ignore[override]
        self._enter()
        try:
            return PasswordHasher.verify_sync(secret, encoded)
        finally:
            self._leave()


async def test_hashes_verify_and_wrong_passwords_do_not() -> None:
    hasher = PasswordHasher(cost=4)
    encoded = await hasher.hash("红旗-2026-secret")
    assert encoded.startswith("scrypt$ln=4,r=8,p=1$")
    assert await hasher.verify("红旗-2026-secret", encoded)
    assert not await hasher.verify("红旗-2026-secreT", encoded)
    assert not await hasher.verify("anything", None)  # no such account: still one hash


async def test_no_more_hashes_run_at_once_than_allowed() -> None:
    """A burst of logins queues for the gate: each hash holds 32 MiB at the default cost."""
    hasher = CountingHasher(concurrency=2)
    stored = hasher.hash_sync("password-1")
    hasher.most = 0
    results = await asyncio.gather(
        *(hasher.verify("password-1", stored) for _ in range(6)),
        *(hasher.verify("wrong", None) for _ in range(4)),
        *(hasher.hash(f"new-{i}") for i in range(4)),
    )
    assert results[:6] == [True] * 6
    assert results[6:10] == [False] * 4
    assert hasher.most == 2


async def test_one_at_a_time_when_so_configured() -> None:
    hasher = CountingHasher(concurrency=1)
    await asyncio.gather(*(hasher.hash(f"p-{i}") for i in range(4)))
    assert hasher.most == 1
