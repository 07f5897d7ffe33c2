"""The per-database cache of rarely changing reads: fresh for its time, never shared between
two databases, forgotten on clear."""

from __future__ import annotations

from pathlib import Path

from zhdj_shared.cache import DatabaseCache
from zhdj_shared.db import Database


async def test_values_are_kept_per_database_for_their_time(tmp_path: Path) -> None:
    one = Database(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    two = Database(f"sqlite+aiosqlite:///{tmp_path / 'two.db'}")
    cache: DatabaseCache[str, int] = DatabaseCache(seconds=60)
    expired: DatabaseCache[str, int] = DatabaseCache(seconds=0)
    try:
        async with one.sessionmaker() as a, two.sessionmaker() as b:
            assert cache.get(a, "k") == (False, None)
            assert cache.put(a, "k", 1) == 1
            assert cache.get(a, "k") == (True, 1)
            assert cache.get(b, "k") == (False, None)  # another database: its own entries
            cache.put(b, "k", 2)
            assert (cache.get(a, "k"), cache.get(b, "k")) == ((True, 1), (True, 2))
            expired.put(a, "k", 3)
            assert expired.get(a, "k") == (False, None)
            cache.clear()
            assert cache.get(a, "k") == (False, None)
    finally:
        await one.dispose()
        await two.dispose()


async def test_a_full_cache_starts_over(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.db'}")
    cache: DatabaseCache[int, int] = DatabaseCache(seconds=60, max_entries=3)
    try:
        async with database.sessionmaker() as session:
            for i in range(4):
                cache.put(session, i, i)
            assert [cache.get(session, i)[0] for i in range(4)] == [False, False, False, True]
    finally:
        await database.dispose()
