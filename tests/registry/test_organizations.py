"""The organization tree end to end inside the registry: rules, authorization, queries."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from tests.registry.conftest import Registry
from zhdj_registry.models import Organization

BASE = "/api/registry/organizations"


async def count_orgs(registry: Registry) -> int:
    async with registry.session() as session:
        return int((await session.exec(select(func.count()).select_from(Organization))).one())


async def create(registry: Registry, headers: dict[str, str], **body: Any) -> Any:
    return await registry.client.post(BASE, json=body, headers=headers)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return problem


async def test_staff_creates_a_branch_in_their_subtree(demo_registry: Registry) -> None:
    headers = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    response = await create(
        demo_registry,
        headers,
        name="红纽带服务站党支部",
        kind="branch",
        sector="community",
        parent_id="demo-s-xinhua-chaoyang-c1",
    )
    assert response.status_code == 201, response.text
    org = response.json()
    assert response.headers["location"] == f"{BASE}/{org['id']}"
    assert org["kind_label"] == "党支部"
    assert org["sector_label"] == "城市社区"
    assert org["ancestor_ids"] == [
        "demo-city",
        "demo-d-xinhua",
        "demo-s-xinhua-chaoyang",
        "demo-s-xinhua-chaoyang-c1",
    ]
    assert org["depth"] == 4
    fetched = await demo_registry.client.get(f"{BASE}/{org['id']}", headers=headers)
    assert fetched.json()["name"] == "红纽带服务站党支部"


async def test_staff_of_one_district_cannot_touch_another(demo_registry: Registry) -> None:
    xinhua = demo_registry.as_staff("demo-d-xinhua")
    before = await count_orgs(demo_registry)
    target = "demo-s-dongcheng-dongfeng-c1"
    attempts = [
        await create(
            demo_registry,
            xinhua,
            name="越权支部",
            kind="branch",
            sector="community",
            parent_id=target,
        ),
        await demo_registry.client.patch(f"{BASE}/{target}", json={"name": "改名"}, headers=xinhua),
        await demo_registry.client.post(
            f"{BASE}/{target}-b1/move",
            json={"parent_id": "demo-s-xinhua-chaoyang-c1"},
            headers=xinhua,
        ),
        await demo_registry.client.post(
            f"{BASE}/{target}-b1-g1/dissolve", json={"reason": "越权撤销"}, headers=xinhua
        ),
        # moving one's own branch under another district is refused as well
        await demo_registry.client.post(
            f"{BASE}/demo-s-xinhua-chaoyang-c1-b1/move", json={"parent_id": target}, headers=xinhua
        ),
    ]
    for response in attempts:
        assert_problem(response, 403)
    assert await count_orgs(demo_registry) == before
    unchanged = await demo_registry.client.get(f"{BASE}/{target}", headers=xinhua)
    assert unchanged.json()["name"] == "中共东风街道阳光社区委员会"
    moved = await demo_registry.client.get(f"{BASE}/demo-s-xinhua-chaoyang-c1-b1", headers=xinhua)
    assert moved.json()["parent_id"] == "demo-s-xinhua-chaoyang-c1"


async def test_staff_cannot_write_above_their_organization(demo_registry: Registry) -> None:
    community_staff = demo_registry.as_staff("demo-s-xinhua-chaoyang-c1")
    response = await create(
        demo_registry,
        community_staff,
        name="街道直属支部",
        kind="branch",
        sector="community",
        parent_id="demo-s-xinhua-chaoyang",
    )
    assert_problem(response, 403)
    rename_street = await demo_registry.client.patch(
        f"{BASE}/demo-s-xinhua-chaoyang", json={"name": "新名"}, headers=community_staff
    )
    assert_problem(rename_street, 403)


async def test_resident_reads_but_cannot_write(demo_registry: Registry) -> None:
    resident = demo_registry.as_resident()
    read = await demo_registry.client.get(f"{BASE}/demo-city", headers=resident)
    assert read.status_code == 200
    write = await create(
        demo_registry,
        resident,
        name="居民支部",
        kind="branch",
        sector="community",
        parent_id="demo-s-xinhua-chaoyang-c1",
    )
    problem = assert_problem(write, 403)
    assert "registry:write" in problem["detail"]
    # a resident token that somehow carried the write scope still has no organization
    forged = demo_registry.keys.bearer(sub="r", roles=["resident"], scope="registry:write")
    refused = await create(
        demo_registry,
        forged,
        name="居民支部",
        kind="branch",
        sector="community",
        parent_id="demo-s-xinhua-chaoyang-c1",
    )
    assert_problem(refused, 403)


async def test_anonymous_and_bad_tokens_get_401(demo_registry: Registry) -> None:
    assert_problem(await demo_registry.client.get(f"{BASE}/demo-city"), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await demo_registry.client.get(f"{BASE}/demo-city", headers=bad), 401)
    expired = demo_registry.keys.bearer(exp=1_600_000_000, iat=1_599_999_000)
    assert_problem(await demo_registry.client.get(f"{BASE}/demo-city", headers=expired), 401)


async def test_malformed_input_gets_field_errors_and_writes_nothing(
    demo_registry: Registry,
) -> None:
    admin = demo_registry.as_admin()
    before = await count_orgs(demo_registry)
    response = await create(
        demo_registry,
        admin,
        name="",
        kind="galaxy",
        sector="community",
        parent_id="demo-city",
        unexpected="x",
    )
    problem = assert_problem(response, 422)
    fields = {e["field"] for e in problem["errors"]}
    assert {"name", "kind", "unexpected"} <= fields
    unknown_parent = await create(
        demo_registry, admin, name="孤儿支部", kind="branch", sector="community", parent_id="nope"
    )
    assert assert_problem(unknown_parent, 422)["errors"][0]["field"] == "parent_id"
    wrong_level = await create(
        demo_registry,
        admin,
        name="市委下的党小组",
        kind="party_group",
        sector="community",
        parent_id="demo-city",
    )
    assert_problem(wrong_level, 422)
    not_json = await demo_registry.client.post(
        BASE, content=b"{not json", headers={**admin, "content-type": "application/json"}
    )
    assert_problem(not_json, 422)
    assert await count_orgs(demo_registry) == before


async def test_only_admin_creates_a_root(registry: Registry) -> None:
    staff = registry.as_staff("x")
    body = {"name": "中共另一市委员会", "kind": "city_committee", "sector": "government_organ"}
    assert_problem(await registry.client.post(BASE, json=body, headers=staff), 403)
    created = await registry.client.post(BASE, json=body, headers=registry.as_admin())
    assert created.status_code == 201
    assert created.json()["parent_id"] is None
    duplicate = await registry.client.post(BASE, json=body, headers=registry.as_admin())
    assert_problem(duplicate, 409)


async def test_list_filters_and_chinese_search(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()

    async def names(**params: Any) -> list[str]:
        response = await demo_registry.client.get(BASE, params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [o["name"] for o in response.json()["items"]]

    children = await names(parent_id="demo-d-xinhua", limit=200)
    assert "中共朝阳街道工作委员会" in children
    assert all("社区" not in n for n in children)
    # sorted by pinyin, 河口 (he) before 柳林 (liu); code points would put 柳 (U+67F3) first
    assert await names(kind="township_committee") == ["中共河口镇委员会", "中共柳林镇委员会"]
    markets = await names(sector="market")
    assert len(markets) == 4
    assert all("农贸市场" in n for n in markets)
    assert await names(name="精纶") == ["精纶纺织股份有限公司党总支", "精纶纺织生产一线党支部"]
    assert await names(name="jinglun") == await names(name="精纶")
    assert "红星科技有限公司党支部" in await names(name="hxkj")


async def test_subtree_paging_visits_every_node_once(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"within": "demo-s-xinhua-chaoyang", "limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = (await demo_registry.client.get(BASE, params=params, headers=admin)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    async with demo_registry.session() as session:
        expected = (
            await session.exec(
                select(Organization.id).where(
                    Organization.path.startswith("/demo-city/demo-d-xinhua/demo-s-xinhua-chaoyang/")  # type: ignore[attr-defined]
                )
            )
        ).all()
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(expected)
    # street, 4 communities with 2 branches+groups, market and tower branches, and the alliance
    # demo's 红纽带 joint branch with its 7 party groups
    assert len(seen) == 1 + 4 * (1 + 2 * 2) + 2 + (1 + 7)


async def test_invalid_cursor_and_limit_are_422(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()
    bad_cursor = await demo_registry.client.get(BASE, params={"cursor": "!!!"}, headers=admin)
    assert assert_problem(bad_cursor, 422)["errors"][0]["field"] == "cursor"
    too_many = await demo_registry.client.get(BASE, params={"limit": 201}, headers=admin)
    assert assert_problem(too_many, 422)["errors"][0]["field"] == "limit"


async def test_update_renames_and_recomputes_pinyin(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    response = await demo_registry.client.patch(
        f"{BASE}/demo-s-xinhua-chaoyang-market",
        json={"name": "阳光商贸城党支部", "address": "朝阳路1号"},
        headers=staff,
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == "朝阳路1号"
    found = await demo_registry.client.get(BASE, params={"name": "ygsmc"}, headers=staff)
    assert [o["id"] for o in found.json()["items"]] == ["demo-s-xinhua-chaoyang-market"]
    refused = await demo_registry.client.patch(
        f"{BASE}/demo-s-xinhua-chaoyang-c1-b1", json={"kind": "general_branch"}, headers=staff
    )
    assert_problem(refused, 409)  # its party group cannot sit under a general branch
    removed = await demo_registry.client.patch(
        f"{BASE}/demo-s-xinhua-chaoyang-market", json={"name": None}, headers=staff
    )
    assert_problem(removed, 422)


async def test_move_rewrites_the_whole_subtree(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-d-xinhua")
    response = await demo_registry.client.post(
        f"{BASE}/demo-s-xinhua-chaoyang-c1-b1/move",
        json={"parent_id": "demo-s-xinhua-heping-c2"},
        headers=staff,
    )
    assert response.status_code == 200, response.text
    assert response.json()["parent_id"] == "demo-s-xinhua-heping-c2"
    group = (
        await demo_registry.client.get(f"{BASE}/demo-s-xinhua-chaoyang-c1-b1-g1", headers=staff)
    ).json()
    assert group["ancestor_ids"][-2:] == ["demo-s-xinhua-heping-c2", "demo-s-xinhua-chaoyang-c1-b1"]
    assert group["depth"] == 5
    within = await demo_registry.client.get(
        BASE, params={"within": "demo-s-xinhua-heping", "limit": 200}, headers=staff
    )
    assert "demo-s-xinhua-chaoyang-c1-b1-g1" in {o["id"] for o in within.json()["items"]}
    cycle = await demo_registry.client.post(
        f"{BASE}/demo-s-xinhua-heping/move",
        json={"parent_id": "demo-s-xinhua-heping-c2"},
        headers=staff,
    )
    assert_problem(cycle, 409)


async def _branch_with_group(registry: Registry, headers: dict[str, str]) -> tuple[str, str]:
    branch = await create(
        registry,
        headers,
        name="撤并测试党支部",
        kind="branch",
        sector="community",
        parent_id="demo-s-xinhua-chaoyang-c1",
    )
    assert branch.status_code == 201, branch.text
    group = await create(
        registry,
        headers,
        name="撤并测试党小组",
        kind="party_group",
        sector="community",
        parent_id=branch.json()["id"],
    )
    assert group.status_code == 201, group.text
    return branch.json()["id"], group.json()["id"]


async def test_dissolve_only_leaves_and_hide_them(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    branch, group = await _branch_with_group(demo_registry, staff)
    busy = await demo_registry.client.post(
        f"{BASE}/{branch}/dissolve", json={"reason": "合并"}, headers=staff
    )
    assert_problem(busy, 409)
    done = await demo_registry.client.post(
        f"{BASE}/{group}/dissolve", json={"reason": "党员人数不足"}, headers=staff
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "dissolved"
    assert done.json()["status_label"] == "已撤销"
    listed = await demo_registry.client.get(BASE, params={"parent_id": branch}, headers=staff)
    assert listed.json()["items"] == []
    with_dissolved = await demo_registry.client.get(
        BASE, params={"parent_id": branch, "include_dissolved": True}, headers=staff
    )
    assert [o["id"] for o in with_dissolved.json()["items"]] == [group]
    again = await demo_registry.client.post(
        f"{BASE}/{group}/dissolve", json={"reason": "重复"}, headers=staff
    )
    assert_problem(again, 409)
    now_empty = await demo_registry.client.post(
        f"{BASE}/{branch}/dissolve", json={"reason": "合并"}, headers=staff
    )
    assert now_empty.status_code == 200, now_empty.text


async def test_an_organization_with_members_or_alliance_ties_is_not_dissolved(
    demo_registry: Registry,
) -> None:
    """Members on its rolls, an alliance it leads, an alliance it belongs to: each is a 409
    naming what to do first, and the organization stays active until all have moved."""
    staff = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    branch, group = await _branch_with_group(demo_registry, staff)
    dissolve = f"{BASE}/{group}/dissolve"
    member = await demo_registry.client.post(
        "/api/registry/members",
        json={"name": "撤并测试党员", "home_org_id": group, "status": "full"},
        headers=staff,
    )
    assert member.status_code == 201, member.text
    alliance = await demo_registry.client.post(
        "/api/registry/alliances",
        json={
            "name": "撤并测试联建体",
            "pattern": "strong_helps_weak",
            "lead_org_id": group,
            "founded_on": "2024-01-01",
        },
        headers=staff,
    )
    assert alliance.status_code == 201, alliance.text

    refused = assert_problem(
        await demo_registry.client.post(dissolve, json={"reason": "合并"}, headers=staff), 409
    )
    assert "1 members on its rolls" in refused["detail"]
    assert alliance.json()["id"] in refused["detail"]
    assert (await demo_registry.client.get(f"{BASE}/{group}", headers=staff)).json()[
        "status"
    ] == "active"

    moved = await demo_registry.client.post(
        f"/api/registry/members/{member.json()['id']}/transfers",
        json={"to_org_id": branch, "reason": "小组撤并", "date": "2025-04-01"},
        headers=staff,
    )
    assert moved.status_code == 201, moved.text
    still = assert_problem(
        await demo_registry.client.post(dissolve, json={"reason": "合并"}, headers=staff), 409
    )
    assert "members" not in still["detail"]
    assert "leads alliances" in still["detail"]
    assert "current member of alliances" in still["detail"]  # the lead joined its alliance

    ended = await demo_registry.client.post(
        f"/api/registry/alliances/{alliance.json()['id']}/status",
        json={"status": "dissolved", "reason": "联建任务完成"},
        headers=demo_registry.as_admin(),
    )
    assert ended.status_code == 200, ended.text
    done = await demo_registry.client.post(dissolve, json={"reason": "合并"}, headers=staff)
    assert done.status_code == 200, done.text


async def test_tree_and_ancestry(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()
    tree = (
        await demo_registry.client.get(
            f"{BASE}/demo-d-qinghe/tree", params={"depth": 2}, headers=admin
        )
    ).json()
    assert tree["name"] == "中共清河县委员会"
    towns = {c["name"]: c for c in tree["children"]}
    assert len(towns["中共柳林镇委员会"]["children"]) == 5
    ancestry = (
        await demo_registry.client.get(f"{BASE}/demo-t-qinghe-liulin-v1/ancestry", headers=admin)
    ).json()
    assert ancestry["ancestor_ids"] == [
        "demo-city",
        "demo-d-qinghe",
        "demo-t-qinghe-liulin",
        "demo-t-qinghe-liulin-v1",
    ]
    assert [i["kind_label"] for i in ancestry["items"]] == [
        "市委",
        "区（县）委",
        "乡镇党委",
        "村党组织",
    ]
    missing = await demo_registry.client.get(f"{BASE}/nope", headers=admin)
    assert_problem(missing, 404)
