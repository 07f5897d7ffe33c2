"""Units and the two coverages (两个覆盖): rules, authorization, figures, search."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from tests.registry.conftest import Registry
from zhdj_registry.codes import make_credit_code
from zhdj_registry.models import Member, Organization, Unit

BASE = "/api/registry/units"
COVERAGE = "/api/registry/coverage"
CHAOYANG = "demo-s-xinhua-chaoyang"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def unit_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "红纽带党群服务驿站",
        "kind": "social_organization",
        "sector": "social_organization",
        "supervising_org_id": CHAOYANG,
        "area_code": "370102",
        "area_name": "新华区",
        "address": "朝阳路8号",
        "credit_code": make_credit_code("51370102000000042"),
        "employees": 12,
    }
    return {**body, **overrides}


async def unit_rows(registry: Registry) -> list[Unit]:
    async with registry.session() as session:
        return list((await session.exec(select(Unit).order_by(col(Unit.id)))).all())


async def org_path(registry: Registry, org_id: str) -> str:
    async with registry.session() as session:
        org = await session.get(Organization, org_id)
        assert org is not None
        return org.path


async def test_staff_registers_a_unit_and_finds_it_by_pinyin(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    created = await demo_registry.client.post(BASE, json=unit_body(), headers=staff)
    assert created.status_code == 201, created.text
    unit = created.json()
    assert created.headers["location"] == f"{BASE}/{unit['id']}"
    assert unit["coverage"] == "blank"
    assert unit["coverage_label"] == "空白点"
    assert unit["kind_label"] == "社会组织"
    for query in ("红纽带", "hongniudai", "hnd", "HND"):
        found = await demo_registry.client.get(
            BASE, params={"name": query, "within": CHAOYANG}, headers=staff
        )
        assert unit["id"] in [u["id"] for u in found.json()["items"]], query
    elsewhere = await demo_registry.client.get(
        BASE, params={"name": "hnd", "within": "demo-d-dongcheng"}, headers=staff
    )
    assert elsewhere.json()["items"] == []
    # the park's enterprises by initials: 红星科技 → hxkj
    park = await demo_registry.client.get(BASE, params={"name": "hxkj"}, headers=staff)
    assert [u["name"] for u in park.json()["items"]] == ["红星科技有限公司"]


async def test_outsiders_cannot_write_units(demo_registry: Registry) -> None:
    outsider = demo_registry.as_staff("demo-d-dongcheng")
    below = demo_registry.as_staff(f"{CHAOYANG}-c1")  # below the supervisor, not above it
    before = await unit_rows(demo_registry)
    target = "demo-u-018"  # 朝阳电子商城, supervised by 朝阳街道, a blank spot
    for headers in (outsider, below):
        attempts = [
            await demo_registry.client.post(BASE, json=unit_body(), headers=headers),
            await demo_registry.client.patch(
                f"{BASE}/{target}", json={"name": "改名"}, headers=headers
            ),
            await demo_registry.client.put(
                f"{BASE}/{target}/coverage", json={"own_org_id": CHAOYANG}, headers=headers
            ),
            await demo_registry.client.delete(f"{BASE}/demo-u-001/coverage", headers=headers),
            await demo_registry.client.post(
                f"{BASE}/{target}/deactivate", json={"reason": "越权"}, headers=headers
            ),
        ]
        for response in attempts:
            assert_problem(response, 403)
    # a supervisor's staff cannot hand a unit over to an organization they do not act for
    moved = await demo_registry.client.patch(
        f"{BASE}/{target}",
        json={"supervising_org_id": "demo-d-dongcheng"},
        headers=demo_registry.as_staff(CHAOYANG),
    )
    assert_problem(moved, 403)
    after = await unit_rows(demo_registry)
    assert [u.model_dump() for u in after] == [u.model_dump() for u in before]


async def test_residents_read_units_but_not_write_and_anonymous_is_401(
    demo_registry: Registry,
) -> None:
    resident = demo_registry.as_resident()
    read = await demo_registry.client.get(f"{BASE}/demo-u-001", headers=resident)
    assert read.status_code == 200
    assert read.json()["name"] == "新华区司法局"
    assert_problem(await demo_registry.client.post(BASE, json=unit_body(), headers=resident), 403)
    assert_problem(await demo_registry.client.get(BASE), 401)
    assert_problem(await demo_registry.client.get(COVERAGE), 401)


def expected_groups(units: list[Unit], key: str) -> dict[Any, dict[str, int]]:
    groups: dict[Any, dict[str, int]] = {}
    for unit in units:
        group = groups.setdefault(
            getattr(unit, key), {"units": 0, "organization": 0, "work": 0, "blank": 0}
        )
        group["units"] += 1
        if unit.own_org_id:
            group["organization"] += 1
        elif unit.covering_org_id or unit.instructor_name:
            group["work"] += 1
        else:
            group["blank"] += 1
    return groups


async def test_coverage_figures_equal_the_rows(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()
    # make the data less regular: one deactivated unit, one unit without area
    await demo_registry.client.post(
        f"{BASE}/demo-u-019/deactivate", json={"reason": "注销"}, headers=admin
    )
    await demo_registry.client.post(
        BASE, json=unit_body(area_code=None, area_name=None, credit_code=None), headers=admin
    )
    for within in ("demo-city", "demo-d-xinhua", CHAOYANG, "demo-park-xinhua"):
        prefix = await org_path(demo_registry, within)
        rows = [
            u
            for u in await unit_rows(demo_registry)
            if u.supervising_org_path.startswith(prefix) and u.status == "active"
        ]
        assert rows, within
        for by, key in (("sector", "sector"), ("area", "area_code")):
            response = await demo_registry.client.get(
                COVERAGE, params={"within": within, "by": by}, headers=admin
            )
            assert response.status_code == 200, response.text
            report = response.json()
            expected = expected_groups(rows, key)
            got = {g["key"]: g for g in report["groups"]}
            assert set(got) == set(expected), (within, by)
            for group_key, figures in expected.items():
                group = got[group_key]
                assert group["units"] == figures["units"]
                assert group["organization_covered"] == figures["organization"]
                assert group["work_covered"] == figures["work"]
                assert group["blank"] == figures["blank"]
                assert group["coverage_rate"] == round(
                    (figures["organization"] + figures["work"]) / figures["units"], 4
                )
                assert group["organization_coverage_rate"] == round(
                    figures["organization"] / figures["units"], 4
                )
            total = report["total"]
            assert total["units"] == len(rows)
            assert total["blank"] == sum(g["blank"] for g in expected.values())
            assert total["coverage_rate"] == round((len(rows) - total["blank"]) / len(rows), 4)
    sectors = await demo_registry.client.get(
        COVERAGE, params={"within": "demo-park-xinhua"}, headers=admin
    )
    labels = {g["key"]: g["label"] for g in sectors.json()["groups"]}
    assert labels["private_enterprise"] == "非公企业"


async def test_blank_spots_are_paged_and_match_the_rows(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"within": "demo-d-xinhua", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (
            await demo_registry.client.get(f"{COVERAGE}/blank-spots", params=params, headers=admin)
        ).json()
        seen += [u["id"] for u in page["items"]]
        assert all(u["coverage"] == "blank" for u in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    prefix = await org_path(demo_registry, "demo-d-xinhua")
    expected = [
        u.id
        for u in await unit_rows(demo_registry)
        if u.supervising_org_path.startswith(prefix)
        and not (u.own_org_id or u.covering_org_id or u.instructor_name)
    ]
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(expected)
    assert len(expected) >= 4


async def test_setting_and_clearing_coverage(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    target = f"{BASE}/demo-u-018"
    async with demo_registry.session() as session:
        instructor = (await session.exec(select(Member).where(col(Member.name) == "周建国"))).one()
    work = await demo_registry.client.put(
        f"{target}/coverage", json={"instructor_member_id": instructor.id}, headers=staff
    )
    assert work.status_code == 200, work.text
    assert work.json()["coverage"] == "work"
    assert work.json()["instructor_name"] == "周建国"
    own = await demo_registry.client.put(
        f"{target}/coverage", json={"own_org_id": f"{CHAOYANG}-market"}, headers=staff
    )
    assert own.json()["coverage"] == "organization"
    assert own.json()["instructor_name"] is None
    listed = await demo_registry.client.get(
        BASE, params={"coverage": "organization", "within": CHAOYANG, "limit": 200}, headers=staff
    )
    assert "demo-u-018" in [u["id"] for u in listed.json()["items"]]
    unknown = await demo_registry.client.put(
        f"{target}/coverage", json={"covering_org_id": "nope"}, headers=staff
    )
    assert assert_problem(unknown, 422)["errors"][0]["field"] == "covering_org_id"
    cleared = await demo_registry.client.delete(f"{target}/coverage", headers=staff)
    assert cleared.json()["coverage"] == "blank"
    gone = await demo_registry.client.post(
        f"{target}/deactivate", json={"reason": "已搬离"}, headers=staff
    )
    assert gone.json()["status"] == "deactivated"
    assert_problem(await demo_registry.client.delete(f"{target}/coverage", headers=staff), 409)
    blank = await demo_registry.client.get(
        f"{COVERAGE}/blank-spots", params={"within": CHAOYANG}, headers=staff
    )
    assert "demo-u-018" not in [u["id"] for u in blank.json()["items"]]


async def test_credit_code_is_checked_and_unique(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    before = len(await unit_rows(demo_registry))
    code = make_credit_code("91370102123456789")
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    for bad in (wrong_check, "91370102I2345678X", "123"):
        response = await demo_registry.client.post(
            BASE, json=unit_body(credit_code=bad), headers=staff
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "credit_code"
    first = await demo_registry.client.post(
        BASE, json=unit_body(credit_code=code.lower()), headers=staff
    )
    assert first.json()["credit_code"] == code
    again = await demo_registry.client.post(
        BASE, json=unit_body(name="另一家", credit_code=code), headers=staff
    )
    assert_problem(again, 409)
    assert len(await unit_rows(demo_registry)) == before + 1


async def test_units_follow_their_supervisor_when_it_moves(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()
    created = await demo_registry.client.post(
        BASE, json=unit_body(supervising_org_id=f"{CHAOYANG}-c1"), headers=admin
    )
    unit_id = created.json()["id"]
    moved = await demo_registry.client.post(
        f"/api/registry/organizations/{CHAOYANG}-c1/move",
        json={"parent_id": "demo-s-xinhua-heping"},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text

    async def ids(within: str) -> set[str]:
        response = await demo_registry.client.get(
            BASE, params={"within": within, "limit": 200}, headers=admin
        )
        return {u["id"] for u in response.json()["items"]}

    assert unit_id in await ids("demo-s-xinhua-heping")
    assert unit_id not in await ids(CHAOYANG)
    # the members of the moved community follow it too (their denormalized path is rewritten)
    async with demo_registry.session() as session:
        moved_members = {
            m.id
            for m in (await session.exec(select(Member))).all()
            if m.home_org_id.startswith(f"{CHAOYANG}-c1")
        }
        heping_path = await org_path(demo_registry, "demo-s-xinhua-heping")
        rows = (await session.exec(select(Member).where(col(Member.id).in_(moved_members)))).all()
    assert moved_members
    assert all(m.org_path.startswith(heping_path) for m in rows)
    listed = await demo_registry.client.get(
        "/api/registry/members",
        params={"within": "demo-s-xinhua-heping", "limit": 200},
        headers=admin,
    )
    assert moved_members <= {m["id"] for m in listed.json()["items"]}
    # the street's former staff no longer manage it; the new street's do
    rename = {"name": "红纽带驿站"}
    old_staff = demo_registry.as_staff(CHAOYANG)
    refused = await demo_registry.client.patch(f"{BASE}/{unit_id}", json=rename, headers=old_staff)
    assert_problem(refused, 403)
    new_staff = demo_registry.as_staff("demo-s-xinhua-heping")
    done = await demo_registry.client.patch(f"{BASE}/{unit_id}", json=rename, headers=new_staff)
    assert done.status_code == 200
