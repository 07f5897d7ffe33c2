"""The shared registry client against the real registry app (demo city)."""

from __future__ import annotations

import pytest

from tests.support.tokens import TestKeys
from tests.support.upstreams import unreachable_registry
from zhdj_shared.errors import ServiceUnavailable
from zhdj_shared.registry_client import RegistryClient


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
