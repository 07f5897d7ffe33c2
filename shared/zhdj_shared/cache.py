"""A short-lived cache of what a service reads from its own database, kept per database.

For data that changes rarely and is read on hot paths (the catalog's items on every submission,
the activity types' labels on every activity read): the value may be ``seconds`` old, and the
code that changes the data calls :meth:`DatabaseCache.clear` in its own process. Entries are
kept per database (the session's bind: the engine, or a test's connection), so two databases in
one process never share one; a database that is gone takes its entries with it.
"""

from __future__ import annotations

import time
import weakref
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
