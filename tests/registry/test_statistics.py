"""The statistics endpoint's figures equal what the rows say, counted here independently."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from tests.registry.conftest import Registry
from zhdj_registry.models import Organization
from zhdj_registry.models.alliances import (
    Alliance,
    AllianceDesignation,
    AllianceMember,
    AllianceStatusChange,
)
from zhdj_registry.models.members import Member
from zhdj_registry.models.units import Unit
from zhdj_registry.repositories.statistics import path_range
from zhdj_registry.services.statistics import GRASSROOTS_KINDS
from zhdj_shared.clock import CHINA_TZ, today_in_china
from zhdj_shared.db import utcnow

ON = date(2026, 6, 30)


async def rows(registry: Registry, model: Any) -> list[Any]:
    async with registry.session() as session:
        return list((await session.exec(select(model))).all())


def in_scope(path: str, prefix: str | None) -> bool:
    return prefix is None or path.startswith(prefix)


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def live_on(alliance: Alliance, on: date) -> bool:
    """Founded by ``on`` and not dissolved by the end of that day."""
    changed = alliance.status_changed_at
    dissolved = alliance.status == "dissolved" and (changed is None or china_day(changed) <= on)
    return alliance.founded_on <= on and not dissolved


def designated_by(designation: AllianceDesignation, on: date) -> bool:
    if designation.designated_on is not None:
        return designation.designated_on <= on
    return designation.year <= on.year


def in_force(member: Member, on: date) -> bool:
    joined = member.joined_on is None or member.joined_on <= on
    return joined and (member.left_on is None or member.left_on > on)


@pytest.mark.parametrize("within", [None, "demo-d-xinhua", "demo-s-xinhua-chaoyang"])
@pytest.mark.parametrize("when", ["past", "today"])
async def test_figures_equal_the_rows(
    demo_registry: Registry, within: str | None, when: str
) -> None:
    """A past date (members counted by a scan) and today (the default date: members summed
    from the per-organization rollup ``org_member_counts``), after some members left."""
    for member_id in ("demo-m-0001", "demo-m-0002"):
        left = await demo_registry.client.post(
            f"/api/registry/members/{member_id}/leave",
            json={"left_on": "2026-01-15", "reason": "deceased"},
            headers=demo_registry.as_admin(),
        )
        assert left.status_code == 200, left.text
    params = {"within": within} if within else {}
    if when == "past":
        params["on"] = ON.isoformat()
    response = await demo_registry.client.get(
        "/api/registry/statistics",
        params=params,
        headers=demo_registry.as_resident(),  # aggregates are public figures
    )
    assert response.status_code == 200, response.text
    figures = response.json()
    on = ON if when == "past" else today_in_china()
    assert figures["on"] == on.isoformat()

    orgs = {o.id: o for o in await rows(demo_registry, Organization)}
    prefix = orgs[within].path if within else None
    scoped = [o for o in orgs.values() if o.status == "active" and in_scope(o.path, prefix)]
    assert figures["organizations"]["total"] == len(scoped)
    by_kind = {c["code"]: c["count"] for c in figures["organizations"]["by_kind"]}
    assert {k: v for k, v in by_kind.items() if v} == dict(Counter(o.kind for o in scoped))
    by_sector = {c["code"]: c["count"] for c in figures["organizations"]["by_sector"] if c["count"]}
    assert by_sector == dict(Counter(o.sector for o in scoped))

    members = [
        m
        for m in await rows(demo_registry, Member)
        if in_force(m, on) and in_scope(m.org_path, prefix)
    ]
    assert figures["members"]["total"] == len(members)
    assert figures["members"]["total"] > 0
    statuses = {c["code"]: c["count"] for c in figures["members"]["by_status"] if c["count"]}
    assert statuses == dict(Counter(m.status for m in members))

    alliances = [
        a
        for a in await rows(demo_registry, Alliance)
        if live_on(a, on) and in_scope(orgs[a.lead_org_id].path, prefix)
    ]
    assert figures["alliances"]["total"] == len(alliances)
    patterns = {c["code"]: c["count"] for c in figures["alliances"]["by_pattern"] if c["count"]}
    assert patterns == dict(Counter(a.pattern for a in alliances))
    designations = await rows(demo_registry, AllianceDesignation)
    all_alliances = {a.id: a for a in await rows(demo_registry, Alliance)}
    sites = {
        d.alliance_id
        for d in designations
        if d.alliance_id in {a.id for a in alliances} and designated_by(d, on)
    }
    assert figures["alliances"]["demonstration_sites"] == len(sites)

    live = {a.id for a in all_alliances.values() if live_on(a, on)}
    covered = {
        m.org_id
        for m in await rows(demo_registry, AllianceMember)
        if m.alliance_id in live and m.joined_on <= on and (m.left_on is None or m.left_on > on)
    } | {all_alliances[a].lead_org_id for a in live}
    grassroots = [o for o in scoped if o.kind in GRASSROOTS_KINDS]
    coverage = figures["alliance_coverage"]
    assert coverage["grassroots_organizations"] == len(grassroots)
    assert coverage["organizations_covered"] == len([o for o in grassroots if o.id in covered])
    assert coverage["members_covered"] == len([m for m in members if m.home_org_id in covered])
    if grassroots:
        expected_rate = round(coverage["organizations_covered"] / len(grassroots), 4)
        assert coverage["organization_rate"] == expected_rate

    units = [
        u
        for u in await rows(demo_registry, Unit)
        if u.status == "active" and in_scope(u.supervising_org_path, prefix)
    ]
    unit_coverage = figures["unit_coverage"]
    assert unit_coverage["units"] == len(units)
    own = [u for u in units if u.own_org_id]
    work = [u for u in units if not u.own_org_id and (u.covering_org_id or u.instructor_name)]
    assert unit_coverage["organization_covered"] == len(own)
    assert unit_coverage["work_covered"] == len(work)
    assert unit_coverage["blank_spots"] == len(units) - len(own) - len(work)


async def test_city_figures_are_not_trivial(demo_registry: Registry) -> None:
    figures = (
        await demo_registry.client.get("/api/registry/statistics", headers=demo_registry.as_admin())
    ).json()
    assert figures["scope"]["org_id"] is None
    assert figures["alliances"]["total"] >= 3
    assert figures["alliances"]["demonstration_sites"] >= 1
    assert 0 < figures["alliance_coverage"]["organization_rate"] < 1
    assert figures["unit_coverage"]["blank_spots"] > 0


async def test_unknown_scope_is_404_and_anonymous_is_401(demo_registry: Registry) -> None:
    missing = await demo_registry.client.get(
        "/api/registry/statistics", params={"within": "nope"}, headers=demo_registry.as_admin()
    )
    assert missing.status_code == 404
    assert (await demo_registry.client.get("/api/registry/statistics")).status_code == 401


@pytest.mark.parametrize("prefix", ["/city/d/", "/city/demo-d-xinhua/", "/c/区/"])
def test_the_scope_range_is_exactly_the_prefix(prefix: str) -> None:
    """The statistics scope a subtree by a range of paths (an index range without a LIKE
    recheck): a path is in ``[low, high)`` exactly when it starts with the scope's path, in
    the byte order PostgreSQL's ``~<~`` and SQLite's BINARY collation compare in (UTF-8 keeps
    code point order). Siblings whose ids extend or neighbour the scope's id stay out."""
    low, high = path_range(prefix)
    parent = prefix.rstrip("/").rsplit("/", 1)[0] + "/"
    own_id = prefix.rstrip("/").rsplit("/", 1)[1]
    paths = [
        prefix,
        prefix + "x/",
        prefix + "x/y/",
        parent,
        parent + own_id + "2/",
        parent + own_id + "-a/",
        parent + own_id + "0/",
        parent + own_id[:-1] + "/",
        parent + own_id + "\u4e00/",
        parent + "zz/",
        "/other" + prefix,
    ]
    for path in paths:
        in_range = low.encode() <= path.encode() < high.encode()
        assert in_range == path.startswith(prefix), path


# --- alliances as of a date ---------------------------------------------------------------


async def create(registry: Registry, url: str, body: dict[str, Any]) -> str:
    response = await registry.client.post(url, json=body, headers=registry.as_admin())
    assert response.status_code in (200, 201), response.text
    created: str = response.json()["id"]
    return created


async def test_alliances_count_as_of_the_date(registry: Registry) -> None:
    """A constructed city: alliances founded after the date, dissolved before it (or after it),
    rectified after it, and designations made after it, each counted only where it should be."""
    orgs = "/api/registry/organizations"
    city = await create(
        registry, orgs, {"name": "测试市委", "kind": "city_committee", "sector": "government_organ"}
    )

    async def org(name: str, kind: str, parent: str) -> str:
        body = {"name": name, "kind": kind, "sector": "community", "parent_id": parent}
        return await create(registry, orgs, body)

    district = await org("测试区委", "district_committee", city)
    street = await org("测试街道", "street_working_committee", district)
    community = await org("测试社区", "community_committee", street)
    b1, b2, b3 = [await org(f"测试第{i}支部", "branch", community) for i in (1, 2, 3)]
    t = today_in_china()

    async def alliance(name: str, founded_on: date, members: list[str]) -> str:
        body = {
            "name": name,
            "pattern": "strong_helps_weak",
            "lead_org_id": street,
            "founded_on": founded_on.isoformat(),
            "member_org_ids": members,
        }
        return await create(registry, "/api/registry/alliances", body)

    async def designate(alliance_id: str, year: int, on: date | None) -> None:
        body = {"year": year, "designated_on": on.isoformat() if on else None}
        response = await registry.client.post(
            f"/api/registry/alliances/{alliance_id}/designations",
            json=body,
            headers=registry.as_admin(),
        )
        assert response.status_code == 201, response.text

    async def set_status(alliance_id: str, status: str) -> None:
        response = await registry.client.post(
            f"/api/registry/alliances/{alliance_id}/status",
            json={"status": status, "reason": "测试用的理由"},
            headers=registry.as_admin(),
        )
        assert response.status_code == 200, response.text

    old = date(2024, 1, 1)
    a1 = await alliance("一直在", old, [b1])
    await designate(a1, 2025, date(2025, 6, 28))
    await designate(a1, t.year + 1, None)  # a later year's designation: not yet
    a2 = await alliance("新成立", t - timedelta(days=10), [b2])
    await designate(a2, t.year, None)
    a3 = await alliance("今天撤销", old, [community])
    await designate(a3, 2024, date(2024, 6, 1))
    await set_status(a3, "dissolved")
    a4 = await alliance("今天整顿", old, [])
    await designate(a4, t.year, t - timedelta(days=5))
    await set_status(a4, "under_rectification")
    a5 = await alliance("上月撤销", old, [b3])
    await set_status(a5, "dissolved")
    month_ago = utcnow() - timedelta(days=30)
    async with registry.db.session() as session:
        dissolved = await session.get(Alliance, a5)
        assert dissolved is not None
        dissolved.status_changed_at = month_ago
        change = (
            await session.exec(
                select(AllianceStatusChange).where(AllianceStatusChange.alliance_id == a5)
            )
        ).one()
        change.changed_at = month_ago

    async def figures(on: date, within: str | None = street) -> dict[str, Any]:
        params = {"on": on.isoformat(), **({"within": within} if within else {})}
        response = await registry.client.get(
            "/api/registry/statistics", params=params, headers=registry.as_resident()
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def nonzero(counts: list[dict[str, Any]]) -> dict[str, int]:
        return {c["code"]: c["count"] for c in counts if c["count"]}

    designations = [
        (a1, 2025, date(2025, 6, 28)),
        (a1, t.year + 1, None),
        (a2, t.year, None),
        (a3, 2024, date(2024, 6, 1)),
        (a4, t.year, t - timedelta(days=5)),
    ]

    def made_by(on: date, year: int, dated: date | None) -> bool:
        return dated <= on if dated else year <= on.year

    # (on, the alliances live that day by status, grassroots organizations covered)
    expected = [
        (t, {a1: "active", a2: "active", a4: "under_rectification"}, {b1, b2}),
        # a3 is dissolved today, a4 rectified today: yesterday both were active
        (t - timedelta(days=1), dict.fromkeys((a1, a2, a3, a4), "active"), {b1, b2, community}),
        # a2 not founded yet, a5 dissolved a month ago
        (t - timedelta(days=20), dict.fromkeys((a1, a3, a4), "active"), {b1, community}),
        (t - timedelta(days=40), dict.fromkeys((a1, a3, a4, a5), "active"), {b1, b3, community}),
    ]
    for on, live, covered in expected:
        sites = [(a, y) for a, y, dated in designations if a in live and made_by(on, y, dated)]
        for within in (street, None):  # the constructed city is the whole city too
            result = await figures(on, within)
            section = result["alliances"]
            assert section["total"] == len(live), (on, within)
            assert nonzero(section["by_status"]) == dict(Counter(live.values())), (on, within)
            assert nonzero(section["by_pattern"]) == {"strong_helps_weak": len(live)}
            assert section["demonstration_sites"] == len({a for a, _ in sites}), (on, within)
            by_year = {y["year"]: y["count"] for y in section["demonstration_sites_by_year"]}
            assert by_year == dict(Counter(y for _, y in sites)), (on, within)
            coverage = result["alliance_coverage"]
            assert coverage["grassroots_organizations"] == 4  # the community, three branches
            assert coverage["organizations_covered"] == len(covered), (on, within)
