"""Alliances (党建联合体) and their mechanisms, end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import func, select

from tests.registry.conftest import Registry
from tests.registry.test_organizations import assert_problem
from zhdj_registry.models import (
    Alliance,
    AllianceMember,
    AllianceStatusChange,
    ConvenerPeriod,
    FundEntry,
    SupplyDemandItem,
)
from zhdj_registry.models.members import Member
from zhdj_registry.services.alliance_access import today

BASE = "/api/registry/alliances"
CHAOYANG = "demo-a-chaoyang-hnd"
PARK = "demo-a-park-xinhua"


async def count(registry: Registry, model: Any) -> int:
    async with registry.session() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def members_of(registry: Registry, org_id: str, n: int) -> list[tuple[str, str]]:
    async with registry.session() as session:
        query = select(Member.id, Member.name).where(Member.home_org_id == org_id).limit(n)
        return [(i, name) for i, name in (await session.exec(query)).all()]


def as_service(registry: Registry) -> dict[str, str]:
    return registry.keys.bearer(
        sub="client-assessment",
        kind="client",
        roles=["service"],
        scope="registry:read registry:write",
    )


async def new_alliance(registry: Registry, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {
        "name": "和平街道测试联建体",
        "pattern": "strong_helps_weak",
        "lead_org_id": "demo-s-xinhua-heping",
        "founded_on": "2024-01-01",
        **extra,
    }
    response = await registry.client.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{BASE}/{response.json()['id']}"
    result: dict[str, Any] = response.json()
    return result


async def test_the_seed_examples_are_in_the_demo(demo_registry: Registry) -> None:
    resident = demo_registry.as_resident()
    get = demo_registry.client.get
    chaoyang = (await get(f"{BASE}/{CHAOYANG}", headers=resident)).json()
    assert chaoyang["pattern_label"] == "联建共管"
    assert chaoyang["member_count"] == 1 + 15 + 3
    assert {"government_organ", "community", "market", "office_building"} <= set(
        chaoyang["sectors"]
    )
    assert len(chaoyang["demonstration_years"]) == 2
    found = (await get(BASE, params={"name": "hnd"}, headers=resident)).json()["items"]
    assert [a["id"] for a in found] == [CHAOYANG]
    chains = (await get(f"{BASE}/{PARK}/chains", headers=resident)).json()
    assert {c["kind_label"] for c in chains} == {"业务链", "互促链", "直属链", "协调链"}
    assert all(c["lead_org"]["name"].endswith("党总支") for c in chains)
    agri = (await get(f"{BASE}/demo-a-agri-industry/members", headers=resident)).json()["items"]
    assert "demo-t-qinghe-liulin-v1" in {m["org_id"] for m in agri}
    sites = (await get("/api/registry/demonstration-sites", headers=resident)).json()
    assert {s["year"] for s in sites} == {today().year - 1, today().year}
    groups = await get(
        "/api/registry/organizations",
        params={"parent_id": "demo-s-xinhua-chaoyang-hnd"},
        headers=resident,
    )
    assert len(groups.json()["items"]) == 7


async def test_list_filters(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()

    async def ids(**params: Any) -> set[str]:
        response = await demo_registry.client.get(
            BASE, params={"limit": 200, **params}, headers=admin
        )
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["items"]}

    assert await ids(pattern="village_village") == {"demo-a-liulin-villages"}
    assert await ids(status="under_rectification") == {"demo-a-jianshe-area"}
    assert await ids(within="demo-d-qinghe") == {
        "demo-a-liulin-villages",
        "demo-a-hekou-village-firm",
        "demo-a-agri-industry",
    }
    assert await ids(member_org="demo-e-agri-b1") == {
        "demo-a-agri-industry",
        "demo-a-hekou-village-firm",
    }
    assert await ids(demonstration_year=today().year - 1) == {CHAOYANG, PARK}
    assert await ids(name="红纽带") == await ids(name="hongniudai") == {CHAOYANG}
    page = (await demo_registry.client.get(BASE, params={"limit": 5}, headers=admin)).json()
    assert len(page["items"]) == 5
    assert page["next_cursor"]


async def test_an_organization_is_listed_once_at_a_time(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    alliance = await new_alliance(demo_registry, staff)
    url = f"{BASE}/{alliance['id']}/members"
    assert alliance["member_count"] == 1  # the lead joined
    first = await demo_registry.client.post(
        url, json={"org_id": "demo-o-xinhua-justice", "joined_on": "2024-02-01"}, headers=staff
    )
    assert first.status_code == 201, first.text
    twice = await demo_registry.client.post(
        url, json={"org_id": "demo-o-xinhua-justice", "joined_on": "2024-05-01"}, headers=staff
    )
    assert_problem(twice, 409)
    left = await demo_registry.client.post(
        f"{url}/{first.json()['id']}/leave", json={"left_on": "2024-06-01"}, headers=staff
    )
    assert left.status_code == 200, left.text
    too_early = await demo_registry.client.post(
        url, json={"org_id": "demo-o-xinhua-justice", "joined_on": "2024-05-31"}, headers=staff
    )
    assert_problem(too_early, 409)
    rejoined = await demo_registry.client.post(
        url, json={"org_id": "demo-o-xinhua-justice", "joined_on": "2024-06-01"}, headers=staff
    )
    assert rejoined.status_code == 201, rejoined.text
    assert rejoined.json()["id"] != first.json()["id"]

    async def on(day: str) -> list[str]:
        response = await demo_registry.client.get(url, params={"on": day}, headers=staff)
        return sorted(m["org_id"] for m in response.json()["items"])

    assert await on("2023-12-31") == []
    assert await on("2024-03-01") == ["demo-o-xinhua-justice", "demo-s-xinhua-heping"]
    assert await on("2024-05-31") == ["demo-o-xinhua-justice", "demo-s-xinhua-heping"]
    history = await demo_registry.client.get(url, params={"history": True}, headers=staff)
    assert len(history.json()["items"]) == 3
    lead_leaves = await demo_registry.client.post(
        f"{url}/{history.json()['items'][0]['id']}/leave", json={}, headers=staff
    )
    assert_problem(lead_leaves, 409)


async def test_convener_periods_never_overlap(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    alliance = await new_alliance(
        demo_registry, staff, member_org_ids=["demo-s-xinhua-heping-c1", "demo-s-xinhua-heping-c2"]
    )
    url = f"{BASE}/{alliance['id']}/conveners"
    person = (await members_of(demo_registry, "demo-s-xinhua-heping-c1", 1))[0]

    async def add(start: str, end: str, org: str, **extra: Any) -> Any:
        body = {"start_on": start, "end_on": end, "org_id": org, **extra}
        return await demo_registry.client.post(url, json=body, headers=staff)

    q1 = await add(
        "2025-01-01",
        "2025-03-31",
        "demo-s-xinhua-heping-c1",
        member_id=person[0],
        person_name=person[1],
    )
    assert q1.status_code == 201, q1.text
    assert (await add("2025-04-01", "2025-06-30", "demo-s-xinhua-heping-c2")).status_code == 201
    before = await count(demo_registry, ConvenerPeriod)
    for start, end in [
        ("2025-03-31", "2025-04-05"),
        ("2024-12-01", "2025-01-01"),
        ("2025-02-01", "2025-02-02"),
        ("2024-01-01", "2026-01-01"),
    ]:
        assert_problem(await add(start, end, "demo-s-xinhua-heping"), 409)
    assert_problem(await add("2025-07-01", "2025-07-31", "demo-o-xinhua-justice"), 422)  # no member
    assert_problem(await add("2025-08-01", "2025-07-31", "demo-s-xinhua-heping"), 422)  # reversed
    assert await count(demo_registry, ConvenerPeriod) == before

    async def convener(day: str) -> str | None:
        response = await demo_registry.client.get(
            f"{BASE}/{alliance['id']}/convener",
            params={"on": day},
            headers=demo_registry.as_resident(),
        )
        assert response.status_code == 200, response.text
        assert response.json()["on"] == day
        period = response.json()["period"]
        return None if period is None else period["org"]["id"]

    assert await convener("2024-12-31") is None
    assert await convener("2025-01-01") == "demo-s-xinhua-heping-c1"
    assert await convener("2025-03-31") == "demo-s-xinhua-heping-c1"
    assert await convener("2025-04-01") == "demo-s-xinhua-heping-c2"
    assert await convener("2025-06-30") == "demo-s-xinhua-heping-c2"
    assert await convener("2025-07-01") is None
    adjacent = await add("2025-07-01", "2025-12-31", "demo-s-xinhua-heping")
    assert adjacent.status_code == 201
    assert await convener("2025-07-01") == "demo-s-xinhua-heping"
    missing = await demo_registry.client.get(f"{BASE}/nope/convener", headers=staff)
    assert_problem(missing, 404)


async def test_demo_schedule_has_one_alliance_without_a_convener(demo_registry: Registry) -> None:
    resident = demo_registry.as_resident()
    with_one = await demo_registry.client.get(f"{BASE}/{CHAOYANG}/convener", headers=resident)
    assert with_one.json()["period"]["org"]["id"]
    without = await demo_registry.client.get(
        f"{BASE}/demo-a-jinglun-lead/convener", headers=resident
    )
    assert without.status_code == 200
    assert without.json()["period"] is None


async def test_same_role_same_person_cannot_overlap(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    alliance = await new_alliance(demo_registry, staff)
    url = f"{BASE}/{alliance['id']}/appointments"
    member_id, name = (await members_of(demo_registry, "demo-s-xinhua-heping", 1))[0]
    body = {
        "member_id": member_id,
        "person_name": name,
        "role": "convener",
        "home_org_id": "demo-s-xinhua-heping-c1",
        "started_on": "2024-01-01",
        "ended_on": "2024-12-31",
    }
    created = await demo_registry.client.post(url, json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["cross_appointed"] is True
    assert created.json()["role_label"] == "召集人"
    overlap = {**body, "started_on": "2024-12-31", "ended_on": None}
    assert_problem(await demo_registry.client.post(url, json=overlap, headers=staff), 409)
    other_role = {**overlap, "role": "committee_member"}
    assert (await demo_registry.client.post(url, json=other_role, headers=staff)).status_code == 201
    later = {**overlap, "started_on": "2025-01-01"}
    assert (await demo_registry.client.post(url, json=later, headers=staff)).status_code == 201
    unknown = {**body, "member_id": "nobody", "started_on": "2030-01-01", "ended_on": None}
    assert_problem(await demo_registry.client.post(url, json=unknown, headers=staff), 422)


async def test_funds_ledger_balance_and_totals(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    alliance = await new_alliance(demo_registry, staff, member_org_ids=["demo-s-xinhua-heping-c1"])
    url = f"{BASE}/{alliance['id']}/funds"
    lines = [
        {
            "kind": "income",
            "source": "allocated",
            "amount_fen": 5_000_000,
            "occurred_on": "2025-01-10",
        },
        {
            "kind": "income",
            "source": "raised",
            "amount_fen": 120_050,
            "occurred_on": "2025-02-01",
            "contributor_org_id": "demo-s-xinhua-heping-c1",
        },
        {"kind": "expense", "amount_fen": 3_333_333, "occurred_on": "2025-02-15"},
        {
            "kind": "income",
            "source": "dues_subsidy",
            "amount_fen": 99_999,
            "occurred_on": "2025-03-01",
        },
        {"kind": "income", "source": "allocated", "amount_fen": 1, "occurred_on": "2025-03-01"},
        {"kind": "expense", "amount_fen": 1_886_717, "occurred_on": "2025-03-02"},
    ]
    for line in lines:
        response = await demo_registry.client.post(
            url, json={**line, "description": "测试"}, headers=staff
        )
        assert response.status_code == 201, response.text
    signed = [ln["amount_fen"] * (1 if ln["kind"] == "income" else -1) for ln in lines]
    running = [sum(signed[: i + 1]) for i in range(len(signed))]
    assert running[-1] == 0
    ledger = (await demo_registry.client.get(url, headers=staff)).json()["items"]
    assert [e["balance_fen"] for e in ledger] == running
    assert [e["signed_amount_fen"] for e in ledger] == signed
    paged = (await demo_registry.client.get(url, params={"limit": 4}, headers=staff)).json()
    rest = await demo_registry.client.get(
        url, params={"limit": 4, "cursor": paged["next_cursor"]}, headers=staff
    )
    assert [e["balance_fen"] for e in paged["items"] + rest.json()["items"]] == running
    summary = (await demo_registry.client.get(f"{url}/summary", headers=staff)).json()
    by_source = {s["source"]: s["income_fen"] for s in summary["by_source"]}
    for source in ("allocated", "raised", "dues_subsidy"):
        assert by_source[source] == sum(
            ln["amount_fen"] for ln in lines if ln.get("source") == source
        )
    assert summary["by_source"][0]["source_label"] == "上级拨"
    assert summary["income_fen"] == sum(s for s in signed if s > 0)
    assert summary["expense_fen"] == -sum(s for s in signed if s < 0)
    assert summary["balance_fen"] == running[-1] == 0
    before = await count(demo_registry, FundEntry)
    overdraw = {
        "kind": "expense",
        "amount_fen": 1,
        "occurred_on": "2025-04-01",
        "description": "超支",
    }
    assert_problem(await demo_registry.client.post(url, json=overdraw, headers=staff), 409)
    # a later income does not excuse an earlier overdraft
    later_income = {**lines[0], "occurred_on": "2025-06-01", "description": "补拨"}
    assert (
        await demo_registry.client.post(url, json=later_income, headers=staff)
    ).status_code == 201
    backdated = {**overdraw, "occurred_on": "2025-02-20", "amount_fen": 10}
    assert_problem(await demo_registry.client.post(url, json=backdated, headers=staff), 409)
    assert await count(demo_registry, FundEntry) == before + 1
    floats = {**overdraw, "kind": "income", "source": "raised", "amount_fen": 10.5}
    assert_problem(await demo_registry.client.post(url, json=floats, headers=staff), 422)
    no_source = {**overdraw, "kind": "income"}
    assert_problem(await demo_registry.client.post(url, json=no_source, headers=staff), 422)


async def test_funds_and_staff_are_for_insiders_only(demo_registry: Registry) -> None:
    url = f"{BASE}/{CHAOYANG}/funds"
    member_staff = demo_registry.as_staff("demo-o-xinhua-justice")
    assert (await demo_registry.client.get(url, headers=member_staff)).status_code == 200
    assert (
        await demo_registry.client.get(f"{url}/summary", headers=as_service(demo_registry))
    ).status_code == 200
    staff_url = f"{BASE}/{CHAOYANG}/staff"
    assert len((await demo_registry.client.get(staff_url, headers=member_staff)).json()) == 1
    outsiders = [
        demo_registry.as_resident(),
        demo_registry.as_staff("demo-d-dongcheng"),
        demo_registry.keys.bearer(sub="m", roles=["member"], orgs=["demo-o-xinhua-justice"]),
    ]
    for headers in outsiders:
        for path in (url, f"{url}/summary", staff_url):
            assert_problem(await demo_registry.client.get(path, headers=headers), 403)
        public = await demo_registry.client.get(f"{BASE}/{CHAOYANG}/members", headers=headers)
        assert public.status_code == 200
    for path in (url, f"{BASE}/{CHAOYANG}", f"{BASE}/{CHAOYANG}/members"):
        assert_problem(await demo_registry.client.get(path), 401)
    # a member organization's staff read the ledger but do not write it
    line = {
        "kind": "income",
        "source": "raised",
        "amount_fen": 100,
        "occurred_on": "2025-01-01",
        "description": "x",
    }
    assert_problem(await demo_registry.client.post(url, json=line, headers=member_staff), 403)


async def test_refused_writes_change_nothing(demo_registry: Registry) -> None:
    outsider = demo_registry.as_staff("demo-d-dongcheng")
    below_lead = demo_registry.as_staff("demo-s-xinhua-chaoyang-c1")  # under the lead, not above it
    resident = demo_registry.as_resident()
    counts = [
        await count(demo_registry, m)
        for m in (Alliance, AllianceMember, ConvenerPeriod, FundEntry, SupplyDemandItem)
    ]
    before = (await demo_registry.client.get(f"{BASE}/{CHAOYANG}", headers=resident)).json()
    writes: list[tuple[str, dict[str, Any]]] = [
        (f"{BASE}/{CHAOYANG}/members", {"org_id": "demo-online-dongcheng"}),
        (
            f"{BASE}/{CHAOYANG}/conveners",
            {"start_on": "2030-01-01", "end_on": "2030-02-01", "org_id": "demo-o-xinhua-tax"},
        ),
        (
            f"{BASE}/{CHAOYANG}/funds",
            {
                "kind": "income",
                "source": "allocated",
                "amount_fen": 1,
                "occurred_on": "2025-01-01",
                "description": "x",
            },
        ),
        (
            f"{BASE}/{CHAOYANG}/supply-demand",
            {"kind": "demand", "org_id": "demo-o-xinhua-tax", "category": "funds", "title": "x"},
        ),
        (f"{BASE}/{CHAOYANG}/status", {"status": "dissolved", "reason": "越权撤销"}),
        (f"{BASE}/{CHAOYANG}/designations", {"year": 2030}),
        (
            BASE,
            {
                "name": "越权联合体",
                "pattern": "area_joint",
                "lead_org_id": "demo-s-xinhua-chaoyang",
                "founded_on": "2025-01-01",
            },
        ),
    ]
    for headers in (outsider, below_lead, resident):
        for path, body in writes:
            assert_problem(await demo_registry.client.post(path, json=body, headers=headers), 403)
        patch = await demo_registry.client.patch(
            f"{BASE}/{CHAOYANG}", json={"name": "改名"}, headers=headers
        )
        assert_problem(patch, 403)
    for path, body in writes:
        assert_problem(await demo_registry.client.post(path, json=body), 401)
    after = (await demo_registry.client.get(f"{BASE}/{CHAOYANG}", headers=resident)).json()
    assert after == before
    assert counts == [
        await count(demo_registry, m)
        for m in (Alliance, AllianceMember, ConvenerPeriod, FundEntry, SupplyDemandItem)
    ]


async def test_rectification_is_a_superiors_decision(demo_registry: Registry) -> None:
    url = f"{BASE}/{CHAOYANG}/status"
    manager = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    rectify = {"status": "under_rectification", "reason": "年度考核结果为差"}
    assert_problem(await demo_registry.client.post(url, json=rectify, headers=manager), 403)
    read_only_service = demo_registry.keys.bearer(
        sub="c", kind="client", roles=["service"], scope="registry:read"
    )
    assert_problem(
        await demo_registry.client.post(url, json=rectify, headers=read_only_service), 403
    )
    assert await count(demo_registry, AllianceStatusChange) == 2  # the demo's own
    done = await demo_registry.client.post(url, json=rectify, headers=as_service(demo_registry))
    assert done.status_code == 200, done.text
    assert done.json()["status_label"] == "整顿中"
    assert_problem(
        await demo_registry.client.post(url, json=rectify, headers=demo_registry.as_admin()), 409
    )
    lift = {"status": "active", "reason": "整改到位"}
    assert_problem(await demo_registry.client.post(url, json=lift, headers=manager), 403)
    assert (
        await demo_registry.client.post(url, json=lift, headers=demo_registry.as_admin())
    ).status_code == 200
    history = (
        await demo_registry.client.get(f"{BASE}/{CHAOYANG}/status-history", headers=manager)
    ).json()
    assert [(h["to_status"], h["reason"]) for h in history] == [
        ("under_rectification", "年度考核结果为差"),
        ("active", "整改到位"),
    ]
    dissolved = await demo_registry.client.post(
        url, json={"status": "dissolved", "reason": "任务完成"}, headers=manager
    )
    assert dissolved.status_code == 200
    again = await demo_registry.client.post(url, json=lift, headers=demo_registry.as_admin())
    assert_problem(again, 409)
    join = await demo_registry.client.post(
        f"{BASE}/{CHAOYANG}/members", json={"org_id": "demo-online-dongcheng"}, headers=manager
    )
    assert_problem(join, 409)


async def test_designations_by_year(demo_registry: Registry) -> None:
    url = f"{BASE}/demo-a-heping-central/designations"
    assert_problem(
        await demo_registry.client.post(
            url, json={"year": 2024}, headers=demo_registry.as_staff("demo-city")
        ),
        403,
    )
    created = await demo_registry.client.post(
        url, json={"year": 2024}, headers=demo_registry.as_admin()
    )
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "融合党建精品示范点"
    assert_problem(
        await demo_registry.client.post(url, json={"year": 2024}, headers=demo_registry.as_admin()),
        409,
    )
    sites = await demo_registry.client.get(
        "/api/registry/demonstration-sites",
        params={"year": 2024},
        headers=demo_registry.as_resident(),
    )
    assert [s["alliance_id"] for s in sites.json()] == ["demo-a-heping-central"]
    revoked = await demo_registry.client.delete(f"{url}/2024", headers=as_service(demo_registry))
    assert revoked.status_code == 204


async def test_supply_demand_matching(demo_registry: Registry) -> None:
    url = f"{BASE}/{CHAOYANG}/supply-demand"
    tax_staff = demo_registry.as_staff("demo-o-xinhua-tax")
    demand = await demo_registry.client.post(
        url,
        json={
            "kind": "demand",
            "org_id": "demo-o-xinhua-tax",
            "category": "venue",
            "title": "纳税人学堂场地",
        },
        headers=tax_staff,
    )
    assert demand.status_code == 201, demand.text
    for_another = {
        "kind": "supply",
        "org_id": "demo-o-xinhua-culture",
        "category": "venue",
        "title": "场地",
    }
    assert_problem(await demo_registry.client.post(url, json=for_another, headers=tax_staff), 403)
    not_member = {**for_another, "org_id": "demo-online-dongcheng"}
    manager = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    assert_problem(await demo_registry.client.post(url, json=not_member, headers=manager), 422)
    supply = await demo_registry.client.post(url, json=for_another, headers=manager)
    assert supply.status_code == 201
    match_url = f"{BASE}/{CHAOYANG}/supply-demand-matches"
    pair = {"supply_id": supply.json()["id"], "demand_id": demand.json()["id"]}
    swapped = {"supply_id": pair["demand_id"], "demand_id": pair["supply_id"]}
    assert_problem(await demo_registry.client.post(match_url, json=swapped, headers=manager), 422)
    elsewhere = f"{BASE}/{PARK}/supply-demand-matches"
    assert_problem(
        await demo_registry.client.post(elsewhere, json=pair, headers=demo_registry.as_admin()), 422
    )
    matched = await demo_registry.client.post(match_url, json=pair, headers=tax_staff)
    assert matched.status_code == 201, matched.text
    for item_id in pair.values():
        item = (await demo_registry.client.get(f"{url}/{item_id}", headers=tax_staff)).json()
        assert item["status"] == "matched"
    assert_problem(await demo_registry.client.post(match_url, json=pair, headers=manager), 409)
    withdraw = await demo_registry.client.post(
        f"{url}/{pair['demand_id']}/withdraw", headers=tax_staff
    )
    assert_problem(withdraw, 409)
    fulfilled = await demo_registry.client.post(
        f"{url}/{pair['demand_id']}/fulfil", headers=tax_staff
    )
    assert fulfilled.json()["status"] == "fulfilled"
    supply_now = (
        await demo_registry.client.get(f"{url}/{pair['supply_id']}", headers=tax_staff)
    ).json()
    assert supply_now["status_label"] == "已完成"
    listed = await demo_registry.client.get(url, params={"status": "fulfilled"}, headers=tax_staff)
    assert {i["id"] for i in listed.json()["items"]} >= set(pair.values())


async def test_projects_and_pledges(demo_registry: Registry) -> None:
    tax_staff = demo_registry.as_staff("demo-o-xinhua-tax")
    manager = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    pledge = {
        "kind": "pledge",
        "title": "办税服务承诺书",
        "party_org_ids": ["demo-o-xinhua-tax"],
        "signed_on": "2025-03-01",
    }
    url = f"{BASE}/{CHAOYANG}/agreements"
    assert (await demo_registry.client.post(url, json=pledge, headers=tax_staff)).status_code == 201
    others = {**pledge, "party_org_ids": ["demo-o-xinhua-culture"]}
    assert_problem(await demo_registry.client.post(url, json=others, headers=tax_staff), 403)
    agreement = {
        **pledge,
        "kind": "agreement",
        "party_org_ids": ["demo-o-xinhua-tax", "demo-o-xinhua-culture"],
    }
    assert_problem(await demo_registry.client.post(url, json=agreement, headers=tax_staff), 403)
    made = await demo_registry.client.post(url, json=agreement, headers=manager)
    assert [p["id"] for p in made.json()["parties"]] == agreement["party_org_ids"]
    projects = f"{BASE}/{CHAOYANG}/projects"
    project = await demo_registry.client.post(
        projects, json={"name": "税企直通车", "lead_org_id": "demo-o-xinhua-tax"}, headers=manager
    )
    assert project.status_code == 201, project.text
    progress = await demo_registry.client.post(
        f"{projects}/{project.json()['id']}/progress",
        json={"on": "2025-04-01", "note": "首场宣讲完成"},
        headers=tax_staff,
    )
    assert progress.json()["progress"][-1]["note"] == "首场宣讲完成"
    culture = demo_registry.as_staff("demo-o-xinhua-culture")
    refused = await demo_registry.client.patch(
        f"{projects}/{project.json()['id']}", json={"status": "completed"}, headers=culture
    )
    assert_problem(refused, 403)


async def test_member_leaving_keeps_its_convener_periods_honest(demo_registry: Registry) -> None:
    manager = demo_registry.as_staff("demo-s-xinhua-chaoyang")
    members = (
        await demo_registry.client.get(
            f"{BASE}/{CHAOYANG}/members", params={"limit": 200}, headers=manager
        )
    ).json()["items"]
    periods = (
        await demo_registry.client.get(f"{BASE}/{CHAOYANG}/conveners", headers=manager)
    ).json()
    convening = {p["org"]["id"] for p in periods if p["end_on"] >= today().isoformat()}
    target = next(
        m for m in members if m["org_id"] in convening and m["org_id"] != "demo-s-xinhua-chaoyang"
    )
    refused = await demo_registry.client.post(
        f"{BASE}/{CHAOYANG}/members/{target['id']}/leave",
        json={"left_on": (today() - timedelta(days=1)).isoformat()},
        headers=manager,
    )
    assert_problem(refused, 409)
    still = (
        await demo_registry.client.get(
            f"{BASE}/{CHAOYANG}/members", params={"limit": 200}, headers=manager
        )
    ).json()["items"]
    assert len(still) == len(members)
    assert date.fromisoformat(periods[0]["start_on"]).year == today().year


async def test_the_demo_loader_is_idempotent(demo_registry: Registry) -> None:
    from zhdj_registry.demo_alliances import load_demo_alliances

    before = await count(demo_registry, Alliance)
    async with demo_registry.db.session() as session:
        assert await load_demo_alliances(session) == 0
    assert await count(demo_registry, Alliance) == before == 14
