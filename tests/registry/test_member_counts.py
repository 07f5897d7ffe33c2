"""``org_member_counts`` (kept by triggers on ``members``) equals a direct count of the members
on the rolls after every kind of write, and today's statistics, read from it, equal the rows."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import col, delete, func, select, update

from tests.registry.conftest import Registry
from tests.registry.test_imports import csv_file
from tests.registry.test_imports_units_members import MEMBER_HEADER, member_rows, upload
from tests.registry.test_members import (
    BASE,
    BRANCH,
    CHAOYANG,
    HEPING_BRANCH,
    assert_problem,
    create_member,
    secretary_of,
)
from zhdj_registry.models import Member, Organization, OrgMemberCount
from zhdj_shared.clock import today_in_china

STATISTICS = "/api/registry/statistics"
OTHER_BRANCH = f"{CHAOYANG}-c2-b1"


async def assert_rollup_exact(registry: Registry) -> dict[tuple[str, str], int]:
    """Every row of the rollup against ``GROUP BY home_org_id, status`` of the members with
    ``left_on`` null (rows at zero stand for no members; none is negative), and each row's
    ``org_path`` equal to its organization's path (what subtree figures scan)."""
    async with registry.session() as session:
        stored = (await session.exec(select(OrgMemberCount))).all()
        paths = dict((await session.exec(select(Organization.id, Organization.path))).all())
        grouped = (
            select(col(Member.home_org_id), col(Member.status), func.count())
            .where(col(Member.left_on).is_(None))
            .group_by(col(Member.home_org_id), col(Member.status))
        )
        counted = {(org, status): n for org, status, n in (await session.exec(grouped)).all()}
    assert all(row.members >= 0 for row in stored), [r for r in stored if r.members < 0]
    rollup = {(row.org_id, row.status): row.members for row in stored if row.members}
    assert rollup == counted
    stale = [(r.org_id, r.org_path) for r in stored if r.members and r.org_path != paths[r.org_id]]
    assert stale == []
    return rollup


async def assert_today_figures(registry: Registry, within: str | None) -> None:
    """Today's statistics (the rollup) equal the members on the rolls under ``within``."""
    response = await registry.client.get(
        STATISTICS, params={"within": within} if within else {}, headers=registry.as_admin()
    )
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["on"] == today_in_china().isoformat()
    async with registry.session() as session:
        root = await session.get(Organization, within) if within else None
        prefix = root.path if root is not None else ""
        members = (
            await session.exec(
                select(Member).where(
                    col(Member.left_on).is_(None), col(Member.org_path).startswith(prefix)
                )
            )
        ).all()
    statuses = {c["code"]: c["count"] for c in figures["members"]["by_status"] if c["count"]}
    assert statuses == dict(Counter(m.status for m in members))
    assert figures["members"]["total"] == len(members)
    assert figures["alliance_coverage"]["members"] == len(members)


async def test_the_demo_load_fills_the_rollup(demo_registry: Registry) -> None:
    rollup = await assert_rollup_exact(demo_registry)
    assert sum(rollup.values()) > 0
    await assert_today_figures(demo_registry, None)
    await assert_today_figures(demo_registry, CHAOYANG)


async def test_create_conversion_and_leaving(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    before = await assert_rollup_exact(demo_registry)
    member = await create_member(
        demo_registry, status="probationary", joined_on="2025-07-01", converted_on=None
    )
    after = await assert_rollup_exact(demo_registry)
    assert after.get((BRANCH, "probationary"), 0) == before.get((BRANCH, "probationary"), 0) + 1
    await assert_today_figures(demo_registry, BRANCH)

    converted = await demo_registry.client.patch(
        f"{BASE}/{member['id']}",
        json={"status": "full", "converted_on": "2026-07-01"},
        headers=staff,
    )
    assert converted.status_code == 200, converted.text
    after = await assert_rollup_exact(demo_registry)
    assert after.get((BRANCH, "probationary"), 0) == before.get((BRANCH, "probationary"), 0)
    assert after[(BRANCH, "full")] == before[(BRANCH, "full")] + 1
    await assert_today_figures(demo_registry, CHAOYANG)

    renamed = await demo_registry.client.patch(
        f"{BASE}/{member['id']}", json={"name": "欧阳修"}, headers=staff
    )
    assert renamed.status_code == 200, renamed.text
    assert await assert_rollup_exact(demo_registry) == after

    left = await demo_registry.client.post(
        f"{BASE}/{member['id']}/leave",
        json={"left_on": today_in_china().isoformat(), "reason": "deceased"},
        headers=staff,
    )
    assert left.status_code == 200, left.text
    assert await assert_rollup_exact(demo_registry) == before
    await assert_today_figures(demo_registry, BRANCH)


async def test_transfer(demo_registry: Registry) -> None:
    secretary = await secretary_of(demo_registry, BRANCH)
    before = await assert_rollup_exact(demo_registry)
    response = await demo_registry.client.post(
        f"{BASE}/{secretary.member_id}/transfers",
        json={"to_org_id": HEPING_BRANCH, "reason": "居住地变更", "date": "2025-04-01"},
        headers=demo_registry.as_staff(CHAOYANG),
    )
    assert response.status_code == 201, response.text
    after = await assert_rollup_exact(demo_registry)
    assert total_of(after, BRANCH) == total_of(before, BRANCH) - 1
    assert total_of(after, HEPING_BRANCH) == total_of(before, HEPING_BRANCH) + 1
    await assert_today_figures(demo_registry, CHAOYANG)
    await assert_today_figures(demo_registry, "demo-s-xinhua-heping")


async def test_bulk_import(demo_registry: Registry) -> None:
    before = await assert_rollup_exact(demo_registry)
    homes = [BRANCH, f"{CHAOYANG}-c2-b1"]
    rows = [r for i, h in enumerate(homes) for r in member_rows(40, h, start=i * 40)]
    response = await upload(
        demo_registry,
        "members",
        csv_file(rows, header=MEMBER_HEADER),
        demo_registry.as_staff(CHAOYANG),
    )
    assert response.status_code == 201, response.text[:2000]
    after = await assert_rollup_exact(demo_registry)
    assert sum(after.values()) == sum(before.values()) + 80
    await assert_today_figures(demo_registry, CHAOYANG)


async def test_organization_move(demo_registry: Registry) -> None:
    before = await assert_rollup_exact(demo_registry)
    moved = await demo_registry.client.post(
        f"/api/registry/organizations/{CHAOYANG}-c1-b1/move",
        json={"parent_id": "demo-s-xinhua-heping-c2"},
        headers=demo_registry.as_staff("demo-d-xinhua"),
    )
    assert moved.status_code == 200, moved.text
    assert await assert_rollup_exact(demo_registry) == before  # counts are per organization
    await assert_today_figures(demo_registry, CHAOYANG)  # but the scopes follow the tree
    await assert_today_figures(demo_registry, "demo-s-xinhua-heping")


def total_of(rollup: dict[tuple[str, str], int], org_id: str) -> int:
    return sum(n for (org, _), n in rollup.items() if org == org_id)


async def test_direct_sql_writes_and_deletes(demo_registry: Registry) -> None:
    """Writers outside the services (set-at-a-time SQL, a cleanup) are counted too."""
    before = await assert_rollup_exact(demo_registry)
    branch = col(Member.home_org_id) == BRANCH
    async with demo_registry.session() as session:
        await session.exec(update(Member).where(branch).values(status="probationary"))
        await session.commit()
    after = await assert_rollup_exact(demo_registry)
    assert after[(BRANCH, "probationary")] == total_of(before, BRANCH)
    yesterday = today_in_china() - timedelta(days=1)
    async with demo_registry.session() as session:
        await session.exec(update(Member).where(branch).values(left_on=yesterday))
        await session.commit()
    assert total_of(await assert_rollup_exact(demo_registry), BRANCH) == 0
    async with demo_registry.session() as session:
        await session.exec(update(Member).where(branch).values(left_on=None))
        await session.commit()
    assert total_of(await assert_rollup_exact(demo_registry), BRANCH) == total_of(before, BRANCH)

    created = await create_member(demo_registry, home_org_id=OTHER_BRANCH)
    added = await assert_rollup_exact(demo_registry)
    assert total_of(added, OTHER_BRANCH) == total_of(before, OTHER_BRANCH) + 1
    async with demo_registry.session() as session:
        await session.exec(delete(Member).where(col(Member.id) == created["id"]))
        await session.commit()
    removed = await assert_rollup_exact(demo_registry)
    assert total_of(removed, OTHER_BRANCH) == total_of(before, OTHER_BRANCH)
    await assert_today_figures(demo_registry, CHAOYANG)


async def test_future_dates_are_refused(demo_registry: Registry) -> None:
    """Today's figures come from the rollup only because no joining or leaving lies ahead."""
    staff = demo_registry.as_staff(CHAOYANG)
    tomorrow = (today_in_china() + timedelta(days=1)).isoformat()
    created = await demo_registry.client.post(
        BASE,
        json={
            "name": "未来",
            "home_org_id": BRANCH,
            "status": "probationary",
            "joined_on": tomorrow,
        },
        headers=staff,
    )
    assert [e["field"] for e in assert_problem(created, 422)["errors"]] == ["joined_on"]
    secretary = await secretary_of(demo_registry, BRANCH)
    patched = await demo_registry.client.patch(
        f"{BASE}/{secretary.member_id}", json={"joined_on": tomorrow}, headers=staff
    )
    assert "joined_on" in [e["field"] for e in assert_problem(patched, 422)["errors"]]
    left = await demo_registry.client.post(
        f"{BASE}/{secretary.member_id}/leave",
        json={"left_on": tomorrow, "reason": "deceased"},
        headers=staff,
    )
    assert [e["field"] for e in assert_problem(left, 422)["errors"]] == ["left_on"]
