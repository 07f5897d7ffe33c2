"""Short-lived caches: :class:`DatabaseCache` for what a service reads from its own database,
kept per database, and :class:`RecentResults` for expensive results computed once at a time.

For data that changes rarely and is read on hot paths (the catalog's items on every submission,
the activity types' labels on every activity read): the value may be ``seconds`` old, and the
code that changes the data calls :meth:`DatabaseCache.clear` in its own process. Entries are
kept per database (the session's bind: the engine, or a test's connection), so two databases in
one process never share one; a database that is gone takes its entries with it.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

K = TypeVar("K")
V = TypeVar("V")

MAX_ENTRIES = 10_000


class DatabaseCache(Generic[K, V]):
    def __init__(self, seconds: float, *, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._by_bind: weakref.WeakKeyDictionary[Any, dict[K, tuple[float, V]]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, session: AsyncSession, key: K) -> tuple[bool, V | None]:
        """``(True, value)`` when ``key`` is cached and fresh for this session's database."""
        entries = self._by_bind.get(session.bind)
        found = entries.get(key) if entries is not None else None
        if found is None or found[0] <= time.monotonic():
            return False, None
        return True, found[1]

    def put(self, session: AsyncSession, key: K, value: V) -> V:
        entries = self._by_bind.setdefault(session.bind, {})
        if len(entries) >= self.max_entries:
            entries.clear()
        entries[key] = (time.monotonic() + self.seconds, value)
        return value

    def clear(self) -> None:
        """Forget everything (after the data changed)."""
        self._by_bind.clear()


T = TypeVar("T")


class RecentResults(Generic[T]):
    """Results of an expensive computation (a dashboard that reads other services), kept for
    ``seconds`` per key and computed once however many callers ask at the same moment.

    The computation runs in a task of its own, so a caller that goes away (a closed connection
    cancels its request) does not cancel it for the others. A result that ``keep`` refuses (one
    computed while a source was down) is answered to the callers that waited for it but not
    kept, so the next caller computes afresh; an error reaches every waiting caller and is not
    kept either.
    """

    def __init__(self, seconds: float, *, max_entries: int = 1000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._done: dict[Any, tuple[float, datetime, T]] = {}
        self._running: dict[Any, asyncio.Task[tuple[datetime, T]]] = {}

    async def get(
        self,
        key: Any,
        compute: Callable[[], Awaitable[T]],
        keep: Callable[[T], bool] = lambda _result: True,
    ) -> tuple[datetime, T]:
        """``(when it was computed, the result)``."""
        done = self._done.get(key)
        if done is not None and done[0] > time.monotonic():
            return done[1], done[2]
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(self._compute(key, compute, keep))
            task.add_done_callback(_retrieve)
            self._running[key] = task
        return await asyncio.shield(task)

    async def _compute(
        self, key: Any, compute: Callable[[], Awaitable[T]], keep: Callable[[T], bool]
    ) -> tuple[datetime, T]:
        try:
            computed_at = datetime.now(UTC)
            result = await compute()
            if keep(result) and self.seconds > 0:
                if len(self._done) >= self.max_entries:
                    self._done.clear()
                self._done[key] = (time.monotonic() + self.seconds, computed_at, result)
            return computed_at, result
        finally:
            del self._running[key]


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Every caller may have gone: the task's error is theirs, not an unhandled one."""
    if not task.cancelled():
        task.exception()
