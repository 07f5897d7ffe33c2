"""Venues (活动阵地) and their sharing with alliances."""

from __future__ import annotations

from typing import Any

from tests.registry.conftest import Registry
from tests.registry.test_alliances import count
from tests.registry.test_organizations import assert_problem
from zhdj_registry.models import AllianceVenue, Venue

BASE = "/api/registry/venues"
ALLIANCES = "/api/registry/alliances"
VENUE = {
    "name": "和平街道党群服务中心",
    "owner_org_id": "demo-s-xinhua-heping",
    "address": "和平路1号",
    "capacity": 80,
    "facilities": ["会议室", "党员活动室"],
    "open_hours": "周一至周五 9:00-17:00",
    "latitude": 36.66,
    "longitude": 117.02,
}


async def create(registry: Registry, headers: dict[str, str], **body: Any) -> Any:
    return await registry.client.post(BASE, json={**VENUE, **body}, headers=headers)


async def test_owner_staff_register_and_anyone_reads(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    created = await create(demo_registry, staff)
    assert created.status_code == 201, created.text
    venue = created.json()
    assert created.headers["location"] == f"{BASE}/{venue['id']}"
    read = await demo_registry.client.get(
        f"{BASE}/{venue['id']}", headers=demo_registry.as_resident()
    )
    assert read.json()["capacity"] == 80
    assert read.json()["owner_org"]["id"] == "demo-s-xinhua-heping"
    station = (await demo_registry.client.get(f"{BASE}/demo-v-hnd-station", headers=staff)).json()
    assert [a["alliance_id"] for a in station["alliances"]] == ["demo-a-chaoyang-hnd"]
    assert station["alliances"][0]["is_office"] is True
    within = await demo_registry.client.get(BASE, params={"within": "demo-d-xinhua"}, headers=staff)
    ids = {v["id"] for v in within.json()["items"]}
    assert {venue["id"], "demo-v-hnd-station", "demo-v-park-center"} <= ids
    assert "demo-v-liulin-practice" not in ids
    by_name = await demo_registry.client.get(BASE, params={"name": "hnd"}, headers=staff)
    assert [v["id"] for v in by_name.json()["items"]] == ["demo-v-hnd-station"]
    assert_problem(await demo_registry.client.get(f"{BASE}/nope", headers=staff), 404)


async def test_others_cannot_register_or_change_a_venue(demo_registry: Registry) -> None:
    before = await count(demo_registry, Venue)
    for headers in (demo_registry.as_staff("demo-d-dongcheng"), demo_registry.as_resident()):
        assert_problem(await create(demo_registry, headers), 403)
        patch = await demo_registry.client.patch(
            f"{BASE}/demo-v-hnd-station", json={"capacity": 1}, headers=headers
        )
        assert_problem(patch, 403)
    assert_problem(await demo_registry.client.post(BASE, json=VENUE), 401)
    assert await count(demo_registry, Venue) == before
    station = await demo_registry.client.get(
        f"{BASE}/demo-v-hnd-station", headers=demo_registry.as_admin()
    )
    assert station.json()["capacity"] == 60
    bad = await create(demo_registry, demo_registry.as_admin(), capacity=-1, latitude=100)
    assert {e["field"] for e in assert_problem(bad, 422)["errors"]} == {"capacity", "latitude"}


async def test_sharing_with_alliances(demo_registry: Registry) -> None:
    heping = demo_registry.as_staff("demo-s-xinhua-heping")
    venue = (await create(demo_registry, heping)).json()
    links = f"{ALLIANCES}/demo-a-heping-central/venues"
    shared = await demo_registry.client.post(
        links, json={"venue_id": venue["id"], "is_office": True}, headers=heping
    )
    assert shared.status_code == 201, shared.text
    assert_problem(
        await demo_registry.client.post(links, json={"venue_id": venue["id"]}, headers=heping), 409
    )
    listed = await demo_registry.client.get(
        BASE, params={"alliance_id": "demo-a-heping-central"}, headers=heping
    )
    assert [v["id"] for v in listed.json()["items"]] == [venue["id"]]
    # the 朝阳 managers cannot share 和平's venue: 和平 is no member of their alliance
    chaoyang = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    before = await count(demo_registry, AllianceVenue)
    refused = await demo_registry.client.post(
        f"{ALLIANCES}/demo-a-chaoyang-hnd/venues", json={"venue_id": venue["id"]}, headers=chaoyang
    )
    assert_problem(refused, 403)
    assert await count(demo_registry, AllianceVenue) == before
    ended = await demo_registry.client.post(
        f"{links}/{shared.json()['id']}/end", json={}, headers=heping
    )
    assert_problem(ended, 422)  # linked today: it ends tomorrow at the earliest
    history = await demo_registry.client.get(links, params={"history": True}, headers=heping)
    assert len(history.json()) == 1
