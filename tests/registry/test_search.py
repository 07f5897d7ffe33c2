"""Name search: Chinese, full pinyin, initials, ranking, types, subtree, polyphonic readings."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from tests.registry.conftest import Registry
from tests.registry.test_organizations import assert_problem
from zhdj_registry.models import Alliance, Organization, Unit
from zhdj_registry.services.organizations import new_organization
from zhdj_registry.vocabulary import OrgKind, Sector
from zhdj_shared.ids import new_id
from zhdj_shared.text import pinyin_key

SEARCH = "/api/registry/search"
C1 = "demo-s-xinhua-chaoyang-c1"
HEPING_C1 = "demo-s-xinhua-heping-c1"


async def add_branches(registry: Registry, parent_id: str, *names: str) -> dict[str, str]:
    async with registry.db.session() as session:
        parent = await session.get(Organization, parent_id)
        assert parent is not None
        orgs = [
            new_organization(new_id(), parent, name=n, kind=OrgKind.BRANCH, sector=Sector.COMMUNITY)
            for n in names
        ]
        session.add_all(orgs)
    return {o.name: o.id for o in orgs}


async def add_unit(registry: Registry, name: str, supervisor_id: str) -> str:
    async with registry.db.session() as session:
        supervisor = await session.get(Organization, supervisor_id)
        assert supervisor is not None
        key = pinyin_key(name)
        unit = Unit(
            name=name,
            name_pinyin=key.full,
            name_initials=key.initials,
            kind="market",
            sector="market",
            supervising_org_id=supervisor.id,
            supervising_org_path=supervisor.path,
        )
        session.add(unit)
    return unit.id


def only(hits: list[dict[str, Any]], names: set[str]) -> list[tuple[str, str]]:
    """The hits among ``names`` (the demo city has other 红纽带s), in ranking order."""
    return [(h["name"], h["match"]) for h in hits if h["name"] in names]


async def search(registry: Registry, q: str, **params: Any) -> list[dict[str, Any]]:
    response = await registry.client.get(
        SEARCH, params={"q": q, **params}, headers=registry.as_resident()
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_chinese_query_ranks_exact_prefix_then_substring(demo_registry: Registry) -> None:
    mine = await add_branches(
        demo_registry, C1, "红纽带服务站党支部", "红纽带", "朝阳红纽带联合党支部"
    )
    hits = await search(demo_registry, "红纽带", types="organization")
    assert only(hits, set(mine)) == [
        ("红纽带", "exact"),
        ("红纽带服务站党支部", "name_prefix"),
        ("朝阳红纽带联合党支部", "substring"),
    ]
    assert hits[0]["name"] == "红纽带"
    assert hits[0]["type"] == "organization"
    assert hits[0]["type_label"] == "党组织"
    assert hits[0]["kind_label"] == "党支部"
    assert hits[0]["parent_id"] == C1
    assert hits[0]["parent_name"] == "中共朝阳街道阳光社区委员会"


async def test_initials_and_full_pinyin(demo_registry: Registry) -> None:
    mine = {"红纽带服务站党支部", "朝阳红纽带联合党支部", "海鸥宁港党支部"}
    await add_branches(demo_registry, C1, "红纽带服务站党支部", "朝阳红纽带联合党支部")
    # 海鸥宁港: initials h-o-n-g, so "hong" is an initials prefix there and only a pinyin prefix
    # of 红纽带 (hongniudai): the initials match ranks first
    await add_branches(demo_registry, HEPING_C1, "海鸥宁港党支部")
    hnd = await search(demo_registry, "hnd")
    assert only(hnd, mine) == [
        ("红纽带服务站党支部", "initials_prefix"),
        ("朝阳红纽带联合党支部", "substring"),
    ]
    full = await search(demo_registry, "hongniudai")
    assert only(full, mine) == [
        ("红纽带服务站党支部", "pinyin_prefix"),
        ("朝阳红纽带联合党支部", "substring"),
    ]
    hong = await search(demo_registry, "HONG")  # case and full-width letters do not matter
    assert only(hong, mine) == [
        ("海鸥宁港党支部", "initials_prefix"),
        ("红纽带服务站党支部", "pinyin_prefix"),
        ("朝阳红纽带联合党支部", "substring"),  # chaoyang-hong-niudai
    ]
    assert await search(demo_registry, "ＨＮＤ") == hnd
    assert await search(demo_registry, "xyzxyzq") == []


async def test_within_types_and_dissolved(demo_registry: Registry) -> None:
    ids = await add_branches(demo_registry, C1, "红纽带服务站党支部")
    await add_branches(demo_registry, HEPING_C1, "和平红纽带党支部")
    unit_id = await add_unit(demo_registry, "红纽带商贸城", "demo-s-xinhua-chaoyang")
    everything = await search(demo_registry, "hnd")
    assert {"红纽带服务站党支部", "和平红纽带党支部", "红纽带商贸城"} <= {
        h["name"] for h in everything
    }
    unit = next(h for h in everything if h["id"] == unit_id)
    assert (unit["type"], unit["type_label"], unit["kind_label"]) == ("unit", "单位", "商贸市场")
    assert unit["parent_id"] == "demo-s-xinhua-chaoyang"
    inside = await search(demo_registry, "hnd", within="demo-s-xinhua-chaoyang")
    assert {h["name"] for h in inside} >= {"红纽带服务站党支部", "红纽带商贸城"}
    assert "和平红纽带党支部" not in {h["name"] for h in inside}
    only_units = await search(demo_registry, "hnd", types="unit")
    assert {h["type"] for h in only_units} == {"unit"}
    dissolved = await demo_registry.client.post(
        f"/api/registry/organizations/{ids['红纽带服务站党支部']}/dissolve",
        json={"reason": "合并"},
        headers=demo_registry.as_admin(),
    )
    assert dissolved.status_code == 200
    assert "红纽带服务站党支部" not in {h["name"] for h in await search(demo_registry, "hnd")}


async def test_polyphonic_first_reading(demo_registry: Registry) -> None:
    usual = await search(demo_registry, "zyjd", types="organization")
    other = await search(demo_registry, "cyjd", types="organization")
    assert "朝阳街道农贸市场党支部" in {h["name"] for h in usual}
    assert [h["name"] for h in other][:2] == [h["name"] for h in usual][:2]
    assert other[0]["match"] == "initials_prefix"
    assert "中共朝阳街道工作委员会" in {h["name"] for h in other}  # 中共 before it: substring


async def test_paging_and_refusals(demo_registry: Registry) -> None:
    first = await demo_registry.client.get(
        SEARCH, params={"q": "社区", "limit": 3}, headers=demo_registry.as_resident()
    )
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 3
    second = await demo_registry.client.get(
        SEARCH,
        params={"q": "社区", "limit": 3, "cursor": page["next_cursor"]},
        headers=demo_registry.as_resident(),
    )
    assert not {h["id"] for h in page["items"]} & {h["id"] for h in second.json()["items"]}
    bad_type = await demo_registry.client.get(
        SEARCH, params={"q": "x", "types": "planet"}, headers=demo_registry.as_resident()
    )
    assert assert_problem(bad_type, 422)["errors"][0]["field"] == "types"
    unknown_within = await demo_registry.client.get(
        SEARCH, params={"q": "x", "within": "nope"}, headers=demo_registry.as_resident()
    )
    assert_problem(unknown_within, 404)
    assert_problem(await demo_registry.client.get(SEARCH, params={"q": "x"}), 401)
    assert_problem(
        await demo_registry.client.get(SEARCH, params={"q": ""}, headers=demo_registry.as_admin()),
        422,
    )


async def test_alliances_are_found_with_their_lead_organization(demo_registry: Registry) -> None:
    async with demo_registry.session() as session:
        alliance = (await session.exec(select(Alliance).limit(1))).one()
        lead = await session.get(Organization, alliance.lead_org_id)
    assert lead is not None
    hits = await search(demo_registry, alliance.name_initials, types="alliance")
    hit = next(h for h in hits if h["id"] == alliance.id)
    assert (hit["type"], hit["type_label"], hit["match"]) == (
        "alliance",
        "党建联合体",
        "initials_prefix",
    )
    assert hit["kind"] == alliance.pattern
    assert (hit["parent_id"], hit["parent_name"]) == (lead.id, lead.name)
    assert {h["type"] for h in hits} == {"alliance"}
