"""The shared registry client against the real registry app (demo city)."""

from __future__ import annotations

import pytest

from tests.support.tokens import TestKeys
from tests.support.upstreams import (
    CountingTransport,
    registry_app,
    registry_upstream,
    unreachable_registry,
)
from zhdj_shared.db import Database
from zhdj_shared.errors import ServiceUnavailable
from zhdj_shared.registry_client import ORGANIZATION_LOOKUPS, RegistryClient


async def test_ancestry_runs_from_the_root_to_the_organization(
    demo_registry_client: RegistryClient,
) -> None:
    ancestry = await demo_registry_client.ancestry("demo-s-xinhua-chaoyang-c1")
    assert ancestry is not None
    assert ancestry[0] == "demo-city"
    assert ancestry[-1] == "demo-s-xinhua-chaoyang-c1"
    assert "demo-d-xinhua" in ancestry


async def test_unknown_organization_is_none_not_an_error(
    demo_registry_client: RegistryClient,
) -> None:
    assert await demo_registry_client.ancestry("no-such-org") is None
    assert await demo_registry_client.organization("no-such-org") is None
    org = await demo_registry_client.organization("demo-d-xinhua")
    assert org is not None
    assert org["id"] == "demo-d-xinhua"


async def test_registry_down_is_service_unavailable(keys: TestKeys) -> None:
    client = unreachable_registry(keys)
    try:
        with pytest.raises(ServiceUnavailable):
            await client.ancestry("demo-d-xinhua")
    finally:
        await client.aclose()


async def test_many_ancestries_are_one_call_per_200_and_cached(
    registry_demo_database: Database, keys: TestKeys
) -> None:
    transport = CountingTransport(registry_app(registry_demo_database, keys))
    async with registry_upstream(registry_demo_database, keys, transport=transport) as client:
        ids: list[str] = []
        cursor = None
        while True:
            query = {"within": "demo-city", "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = await client.get_json("/api/registry/organizations", query)
            assert page is not None
            ids += [o["id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert 100 < len(ids) <= 200  # the whole demo city
        unknown = [f"no-such-org-{i}" for i in range(60)]
        transport.calls.clear()
        found = await client.ancestries([*ids, *unknown, ids[0]])
        assert transport.count("POST", ORGANIZATION_LOOKUPS) == 2  # 200, then the rest
        assert transport.total() == 2
        assert set(found) == set(ids)  # the unknown ones are left out
        for org_id in (ids[0], ids[len(ids) // 2], ids[-1]):
            single = await client.get_json(f"/api/registry/organizations/{org_id}/ancestry")
            assert single is not None
            assert found[org_id] == single["ancestor_ids"]
        transport.calls.clear()
        assert await client.ancestries(ids[:10]) == {i: found[i] for i in ids[:10]}
        assert await client.ancestry(ids[5]) == found[ids[5]]
        assert transport.total() == 0  # all cached by the bulk read
        records = await client.organizations_by_id(["demo-d-xinhua", "no-such-org"])
        assert list(records) == ["demo-d-xinhua"]
        assert records["demo-d-xinhua"] == await client.organization("demo-d-xinhua")


async def test_a_bulk_read_with_the_registry_down_is_service_unavailable(keys: TestKeys) -> None:
    client = unreachable_registry(keys)
    try:
        with pytest.raises(ServiceUnavailable):
            await client.ancestries(["demo-d-xinhua"])
    finally:
        await client.aclose()


async def test_an_organization_is_read_once_then_cached_with_its_ancestry(
    registry_demo_database: Database, keys: TestKeys
) -> None:
    transport = CountingTransport(registry_app(registry_demo_database, keys))
    async with registry_upstream(registry_demo_database, keys, transport=transport) as client:
        first = await client.organization("demo-s-xinhua-chaoyang")
        assert first is not None
        assert transport.total() == 1
        assert await client.organization("demo-s-xinhua-chaoyang") == first
        assert await client.ancestry("demo-s-xinhua-chaoyang") == [
            *first["ancestor_ids"],
            "demo-s-xinhua-chaoyang",
        ]
        assert transport.total() == 1  # both from the cache
        # Unknown organizations are not cached: one created meanwhile is found at once.
        assert await client.organization("no-such-org") is None
        assert await client.organization("no-such-org") is None
        assert transport.total() == 3


async def test_the_cache_lasts_its_time(registry_demo_database: Database, keys: TestKeys) -> None:
    transport = CountingTransport(registry_app(registry_demo_database, keys))
    async with registry_upstream(
        registry_demo_database, keys, transport=transport, cache_seconds=0.0
    ) as client:  # every answer expires at once
        await client.organization("demo-d-xinhua")
        await client.organization("demo-d-xinhua")
        assert transport.total() == 2


async def test_reads_asked_cached_are_kept_answers_only(
    registry_demo_database: Database, keys: TestKeys
) -> None:
    transport = CountingTransport(registry_app(registry_demo_database, keys))
    async with registry_upstream(registry_demo_database, keys, transport=transport) as client:
        path, params = "/api/registry/volunteer-teams", {"within": "demo-city", "limit": 5}
        first = await client.get_json(path, params, cached=True)
        assert first is not None
        assert first["items"]
        assert await client.get_json(path, dict(reversed(params.items())), cached=True) == first
        assert transport.total() == 1
        assert await client.get_json(path, params) == first  # not asked cached: read again
        assert transport.total() == 2
        missing = "/api/registry/households/by-user/nobody"
        assert await client.get_json(missing, cached=True) is None
        assert await client.get_json(missing, cached=True) is None
        assert transport.total() == 4  # an unknown answer is never kept
