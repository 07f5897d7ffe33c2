"""The per-database cache of rarely changing reads (fresh for its time, never shared between
two databases, forgotten on clear) and recent results computed once at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from zhdj_shared.cache import DatabaseCache, RecentResults
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


async def test_recent_results_are_computed_once_for_callers_at_the_same_moment() -> None:
    results: RecentResults[int] = RecentResults(seconds=60)
    calls = 0
    release = asyncio.Event()

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 42

    waiting = [asyncio.create_task(results.get("k", compute)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    answers = await asyncio.gather(*waiting)
    assert calls == 1
    assert {value for _when, value in answers} == {42}
    assert len({when for when, _value in answers}) == 1
    again = await results.get("k", compute)  # kept: not computed again
    assert (calls, again) == (1, answers[0])
    other = await results.get("other", compute)
    assert (calls, other[1]) == (2, 42)


async def test_a_refused_or_failed_result_is_not_kept() -> None:
    results: RecentResults[str] = RecentResults(seconds=60)
    calls = 0

    async def partial() -> str:
        nonlocal calls
        calls += 1
        return "partial"

    for _ in range(2):
        assert (await results.get("k", partial, keep=lambda r: r != "partial"))[1] == "partial"
    assert calls == 2

    async def broken() -> str:
        raise RuntimeError("a source broke")

    with pytest.raises(RuntimeError):
        await results.get("b", broken)
    assert (await results.get("b", partial))[1] == "partial"  # computed afresh


async def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    results: RecentResults[int] = RecentResults(seconds=60)
    release = asyncio.Event()

    async def compute() -> int:
        await release.wait()
        return 7

    first = asyncio.create_task(results.get("k", compute))
    second = asyncio.create_task(results.get("k", compute))
    await asyncio.sleep(0)
    first.cancel()  # its client closed the connection
    release.set()
    assert (await second)[1] == 7
    with pytest.raises(asyncio.CancelledError):
        await first
