"""Community grids and households: only the community's staff see them; routing lookups."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from tests.registry.conftest import Registry
from tests.registry.test_organizations import assert_problem
from zhdj_registry.demo_grids import DEMO_RESIDENT_USER_ID, GRID_RADIUS_M, grid_center
from zhdj_registry.models import Grid, Household

GRIDS = "/api/registry/grids"
HOUSEHOLDS = "/api/registry/households"
C1 = "demo-s-xinhua-chaoyang-c1"
GRID1 = f"{C1}-grid1"
HOUSEHOLD = f"{GRID1}-h02"  # h01 is the demo resident's


def staff(registry: Registry, *orgs: str, role: str = "org_staff") -> dict[str, str]:
    return registry.keys.bearer(sub=f"{role}-x", roles=[role], orgs=list(orgs))


def service(registry: Registry) -> dict[str, str]:
    return registry.keys.bearer(
        sub="client-service-requests", kind="client", roles=["service"], scope="registry:read"
    )


def resident(registry: Registry, sub: str = DEMO_RESIDENT_USER_ID) -> dict[str, str]:
    return registry.keys.bearer(sub=sub, roles=["resident"], scope="registry:read")


async def counts(registry: Registry) -> tuple[int, int]:
    async with registry.session() as session:
        grids = (await session.exec(select(func.count()).select_from(Grid))).one()
        households = (await session.exec(select(func.count()).select_from(Household))).one()
    return int(grids), int(households)


async def all_pages(
    registry: Registry, url: str, headers: dict[str, str], **params: Any
) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        query = {**params, "limit": 25, **({"cursor": cursor} if cursor else {})}
        response = await registry.client.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def test_community_and_superior_staff_see_households(demo_registry: Registry) -> None:
    for headers in (
        staff(demo_registry, C1),
        staff(demo_registry, "demo-s-xinhua-chaoyang", role="service_staff"),
        demo_registry.as_admin(),
    ):
        households = await all_pages(demo_registry, HOUSEHOLDS, headers, community_id=C1)
        assert len(households) == 60
        assert {h["community_id"] for h in households} == {C1}
        one = await demo_registry.client.get(f"{HOUSEHOLDS}/{HOUSEHOLD}", headers=headers)
        assert one.status_code == 200
        assert one.json()["grid_id"] == GRID1
    grids = await all_pages(demo_registry, GRIDS, staff(demo_registry, "demo-s-xinhua-chaoyang"))
    assert len(grids) == 12  # four communities of the street, three grids each
    assert {g["code"] for g in grids} == {"01", "02", "03"}


async def test_households_are_invisible_outside_their_community(demo_registry: Registry) -> None:
    before = await counts(demo_registry)
    original = (
        await demo_registry.client.get(
            f"{HOUSEHOLDS}/{HOUSEHOLD}", headers=demo_registry.as_admin()
        )
    ).json()
    outsiders = [
        staff(demo_registry, "demo-s-xinhua-heping-c1"),  # the neighbouring community
        staff(demo_registry, "demo-s-xinhua-chaoyang-c2"),  # a sibling community
        staff(demo_registry, "demo-s-xinhua-chaoyang-c1-b1"),  # a branch below it
        demo_registry.keys.bearer(sub="m", roles=["member"], orgs=[C1]),  # not staff
        demo_registry.keys.bearer(sub="a", roles=["assessor"], orgs=["demo-city"]),
        resident(demo_registry, "someone-else"),
    ]
    for headers in outsiders:
        client = demo_registry.client
        for url in (f"{HOUSEHOLDS}/{HOUSEHOLD}", f"{GRIDS}/{GRID1}"):
            assert_problem(await client.get(url, headers=headers), 404)
        for params in ({"community_id": C1}, {"grid_id": GRID1}, {}):
            assert_problem(await client.get(HOUSEHOLDS, params=params, headers=headers), 403)
        assert_problem(await client.get(GRIDS, params={"community_id": C1}, headers=headers), 403)
        writes = [
            await client.patch(
                f"{HOUSEHOLDS}/{HOUSEHOLD}", json={"head_name": "改名"}, headers=headers
            ),
            await client.delete(f"{HOUSEHOLDS}/{HOUSEHOLD}", headers=headers),
            await client.patch(f"{GRIDS}/{GRID1}", json={"name": "改名"}, headers=headers),
            await client.delete(f"{GRIDS}/{GRID1}", headers=headers),
            await client.post(
                HOUSEHOLDS,
                json={"grid_id": GRID1, "address": "x", "head_name": "x"},
                headers=headers,
            ),
            await client.post(
                GRIDS, json={"community_id": C1, "name": "越权网格", "code": "99"}, headers=headers
            ),
        ]
        for response in writes:
            # hidden: 404 (422 for a grid named in a body); no write scope: 403
            assert response.status_code in (403, 404, 422), response.text
            assert response.status_code != 422 or response.json()["errors"][0]["field"] in {
                "grid_id",
                "community_id",
            }
    assert await counts(demo_registry) == before
    after = await demo_registry.client.get(
        f"{HOUSEHOLDS}/{HOUSEHOLD}", headers=demo_registry.as_admin()
    )
    assert after.json() == original


async def test_resident_reads_only_their_own_household(demo_registry: Registry) -> None:
    mine = await demo_registry.client.get(f"{HOUSEHOLDS}/mine", headers=resident(demo_registry))
    assert mine.status_code == 200, mine.text
    assert mine.json()["user_id"] == DEMO_RESIDENT_USER_ID
    assert mine.json()["head_name"] == "张建国"
    own_id = mine.json()["id"]
    # by id, even their own household goes through the staff rule
    assert_problem(
        await demo_registry.client.get(f"{HOUSEHOLDS}/{own_id}", headers=resident(demo_registry)),
        404,
    )
    nobody = await demo_registry.client.get(
        f"{HOUSEHOLDS}/mine", headers=resident(demo_registry, "resident-without-household")
    )
    assert_problem(nobody, 404)
    by_user = await demo_registry.client.get(
        f"{HOUSEHOLDS}/by-user/{DEMO_RESIDENT_USER_ID}", headers=resident(demo_registry)
    )
    assert_problem(by_user, 403)


async def test_service_routes_a_user_to_household_grid_and_community(
    demo_registry: Registry,
) -> None:
    url = f"{HOUSEHOLDS}/by-user/{DEMO_RESIDENT_USER_ID}"
    route = await demo_registry.client.get(url, headers=service(demo_registry))
    assert route.status_code == 200, route.text
    assert route.json()["grid_id"] == GRID1
    assert route.json()["community_id"] == C1
    assert route.json()["community_name"] == "中共朝阳街道阳光社区委员会"
    assert (
        await demo_registry.client.get(url, headers=staff(demo_registry, C1))
    ).status_code == 200
    assert_problem(
        await demo_registry.client.get(url, headers=staff(demo_registry, "demo-s-xinhua-heping")),
        404,
    )
    unknown = await demo_registry.client.get(
        f"{HOUSEHOLDS}/by-user/nobody", headers=service(demo_registry)
    )
    assert_problem(unknown, 404)


async def test_locate_finds_the_nearest_grid_containing_the_point(demo_registry: Registry) -> None:
    lat, lng = grid_center(0, 1)  # chaoyang-c1, second grid
    near = {"lat": lat + 0.001, "lng": lng + 0.001}  # about 140 m away
    found = await demo_registry.client.get(
        f"{GRIDS}/locate", params=near, headers=service(demo_registry)
    )
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["grid"]["id"] == f"{C1}-grid2"
    assert body["community_id"] == C1
    assert 100 < body["distance_m"] < GRID_RADIUS_M
    # between grid2 and grid3 (0.008° ≈ 714 m apart, radius 350 m) but nearer grid3
    between = {"lat": lat, "lng": lng + 0.0045}
    nearer = await demo_registry.client.get(
        f"{GRIDS}/locate", params=between, headers=service(demo_registry)
    )
    assert nearer.json()["grid"]["id"] == f"{C1}-grid3"
    far = await demo_registry.client.get(
        f"{GRIDS}/locate", params={"lat": 39.9, "lng": 116.4}, headers=service(demo_registry)
    )
    assert_problem(far, 404)
    gap = {"lat": lat + 0.005, "lng": lng}  # 556 m north: outside every circle
    assert_problem(
        await demo_registry.client.get(
            f"{GRIDS}/locate", params=gap, headers=service(demo_registry)
        ),
        404,
    )
    assert_problem(
        await demo_registry.client.get(
            f"{GRIDS}/locate", params=near, headers=resident(demo_registry)
        ),
        403,
    )
    other_staff = staff(demo_registry, "demo-s-xinhua-heping")
    assert_problem(
        await demo_registry.client.get(f"{GRIDS}/locate", params=near, headers=other_staff), 404
    )
    own_staff = staff(demo_registry, C1)
    located = await demo_registry.client.get(f"{GRIDS}/locate", params=near, headers=own_staff)
    assert located.json()["grid"]["id"] == f"{C1}-grid2"


async def test_staff_manage_grids_and_households(demo_registry: Registry) -> None:
    headers = staff(demo_registry, C1)
    created = await demo_registry.client.post(
        GRIDS,
        json={
            "community_id": C1,
            "name": "阳光社区第四网格",
            "code": "04",
            "worker_name": "钱网格",
            "worker_phone": "13900000000",
            "center_lat": 36.7,
            "center_lng": 117.2,
            "radius_m": 200,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    grid = created.json()
    assert created.headers["location"] == f"{GRIDS}/{grid['id']}"
    duplicate = await demo_registry.client.post(
        GRIDS, json={"community_id": C1, "name": "重复", "code": "04"}, headers=headers
    )
    assert_problem(duplicate, 409)
    street_staff = staff(demo_registry, "demo-s-xinhua-chaoyang")
    not_a_community = await demo_registry.client.post(
        GRIDS,
        json={"community_id": "demo-s-xinhua-chaoyang", "name": "街道网格", "code": "01"},
        headers=street_staff,
    )
    assert assert_problem(not_a_community, 422)["errors"][0]["field"] == "community_id"
    half_circle = await demo_registry.client.post(
        GRIDS,
        json={"community_id": C1, "name": "半圆", "code": "05", "center_lat": 36.7},
        headers=headers,
    )
    assert_problem(half_circle, 422)

    body = {
        "grid_id": grid["id"],
        "address": "阳光小区9号楼1单元101室",
        "building": "9号楼",
        "head_name": "钱老伯",
        "members_count": 1,
        "care_flags": ["elderly_alone", "veteran", "elderly_alone"],
        "user_id": "resident-qian",
    }
    household = await demo_registry.client.post(HOUSEHOLDS, json=body, headers=headers)
    assert household.status_code == 201, household.text
    flags = household.json()["care_flags"]
    assert flags == [
        {"code": "elderly_alone", "label": "独居老人"},
        {"code": "veteran", "label": "退役军人"},
    ]
    same_user = await demo_registry.client.post(
        HOUSEHOLDS, json={**body, "user_id": DEMO_RESIDENT_USER_ID}, headers=headers
    )
    assert_problem(same_user, 409)
    bad_flag = await demo_registry.client.post(
        HOUSEHOLDS, json={**body, "user_id": None, "care_flags": ["rich"]}, headers=headers
    )
    assert_problem(bad_flag, 422)

    veterans = await all_pages(
        demo_registry, HOUSEHOLDS, headers, grid_id=grid["id"], care_flag="veteran"
    )
    assert [h["id"] for h in veterans] == [household.json()["id"]]
    in_c1 = await all_pages(
        demo_registry, HOUSEHOLDS, headers, community_id=C1, care_flag="veteran"
    )
    async with demo_registry.session() as session:
        expected = (
            await session.exec(
                select(func.count())
                .select_from(Household)
                .where(Household.community_id == C1, Household.care_flags.contains(",veteran,"))  # type: ignore[attr-defined]
            )
        ).one()
    assert len(in_c1) == expected

    moved = await demo_registry.client.patch(
        f"{HOUSEHOLDS}/{household.json()['id']}",
        json={"grid_id": GRID1, "care_flags": []},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["grid_id"] == GRID1
    assert moved.json()["care_flags"] == []
    emptied = await demo_registry.client.delete(f"{GRIDS}/{grid['id']}", headers=headers)
    assert emptied.status_code == 204
    busy = await demo_registry.client.delete(f"{GRIDS}/{GRID1}", headers=headers)
    assert_problem(busy, 409)
    moved_away = await demo_registry.client.patch(
        f"{HOUSEHOLDS}/{household.json()['id']}",
        json={"grid_id": "demo-s-xinhua-heping-c1-grid1"},
        headers=headers,
    )
    assert assert_problem(moved_away, 422)["errors"][0]["field"] == "grid_id"


async def test_demo_grids_load_once(demo_registry: Registry) -> None:
    from zhdj_registry.demo_grids import load_demo_grids

    grids, households = await counts(demo_registry)
    assert (grids, households) == (24, 24 * 20)
    async with demo_registry.db.session() as session:
        assert await load_demo_grids(session) == 0
    assert await counts(demo_registry) == (grids, households)
