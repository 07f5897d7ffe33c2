"""Handing an alliance's lead (牵头) to another current member, so that the old lead may leave."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from tests.registry.conftest import Registry
from tests.registry.test_alliances import as_service, new_alliance
from tests.registry.test_organizations import assert_problem
from zhdj_registry.models import Alliance, AllianceMember, VolunteerTeam
from zhdj_registry.services.alliance_access import today

BASE = "/api/registry/alliances"
HEPING = "demo-s-xinhua-heping"
C1, C2 = f"{HEPING}-c1", f"{HEPING}-c2"


async def state(registry: Registry, alliance_id: str) -> dict[str, Any]:
    """The alliance row, its memberships and its teams: what a refused handover must not touch."""
    async with registry.session() as session:
        alliance = await session.get(Alliance, alliance_id)
        assert alliance is not None
        members = (
            await session.exec(
                select(AllianceMember)
                .where(AllianceMember.alliance_id == alliance_id)
                .order_by(col(AllianceMember.id))
            )
        ).all()
        teams = (
            await session.exec(
                select(VolunteerTeam)
                .where(VolunteerTeam.alliance_id == alliance_id)
                .order_by(col(VolunteerTeam.id))
            )
        ).all()
        return {
            "alliance": alliance.model_dump(),
            "members": [m.model_dump() for m in members],
            "teams": [t.model_dump() for t in teams],
        }


async def membership_of(registry: Registry, alliance_id: str, org_id: str) -> str:
    response = await registry.client.get(
        f"{BASE}/{alliance_id}/members", headers=registry.as_admin()
    )
    return str(next(m["id"] for m in response.json()["items"] if m["org_id"] == org_id))


async def test_the_lead_is_handed_over_and_the_old_lead_may_leave(demo_registry: Registry) -> None:
    post = demo_registry.client.post
    street = demo_registry.as_staff(HEPING)
    alliance = await new_alliance(demo_registry, street, member_org_ids=[C1, C2])
    url = f"{BASE}/{alliance['id']}"
    team = await post(
        "/api/registry/volunteer-teams",
        json={"name": "联建体志愿队", "alliance_id": alliance["id"]},
        headers=street,
    )
    assert team.status_code == 201, team.text
    assert team.json()["home_org_id"] == HEPING
    c1_staff = demo_registry.as_staff(C1)
    # before: the lead cannot leave, and the staff of member C1 do not manage the alliance
    lead_membership = await membership_of(demo_registry, alliance["id"], HEPING)
    leave = f"{url}/members/{lead_membership}/leave"
    problem = assert_problem(await post(leave, json={}, headers=street), 409)
    assert "/lead" in problem["detail"]
    assert_problem(
        await demo_registry.client.patch(url, json={"area_name": "x"}, headers=c1_staff), 403
    )

    handed = await post(f"{url}/lead", json={"org_id": C1}, headers=street)
    assert handed.status_code == 200, handed.text
    assert handed.json()["lead_org_id"] == C1
    assert handed.json()["member_count"] == 3  # the members are those they were
    # the alliance's team follows its lead: managed by C1's staff, found within C1
    teams = await demo_registry.client.get(
        "/api/registry/volunteer-teams", params={"within": C1}, headers=c1_staff
    )
    assert team.json()["id"] in [t["id"] for t in teams.json()["items"]]
    renamed = await demo_registry.client.patch(
        url, json={"area_name": "和平片区"}, headers=c1_staff
    )
    assert renamed.status_code == 200, renamed.text
    led_by_c1 = await demo_registry.client.get(BASE, params={"within": C1}, headers=c1_staff)
    assert alliance["id"] in [a["id"] for a in led_by_c1.json()["items"]]
    # the old lead is now an ordinary member: it may leave
    left = await post(leave, json={}, headers=c1_staff)
    assert left.status_code == 200, left.text
    members = await demo_registry.client.get(f"{url}/members", headers=c1_staff)
    assert sorted(m["org_id"] for m in members.json()["items"]) == [C1, C2]
    # administrators may hand it over too
    back = await post(f"{url}/lead", json={"org_id": C2}, headers=demo_registry.as_admin())
    assert back.status_code == 200, back.text
    assert back.json()["lead_org_id"] == C2


async def test_a_refused_handover_changes_nothing(demo_registry: Registry) -> None:
    post = demo_registry.client.post
    street = demo_registry.as_staff(HEPING)
    alliance = await new_alliance(demo_registry, street, member_org_ids=[C1, C2])
    url = f"{BASE}/{alliance['id']}"
    assert (
        await post(
            "/api/registry/volunteer-teams",
            json={"name": "联建体志愿队", "alliance_id": alliance["id"]},
            headers=street,
        )
    ).status_code == 201
    # a former member, a member whose leaving is already recorded (even for later), and C2
    # leading a live alliance of the same name already
    members_url = f"{url}/members"
    joined = await post(
        members_url,
        json={"org_id": "demo-o-xinhua-justice", "joined_on": "2024-02-01"},
        headers=street,
    )
    assert joined.status_code == 201, joined.text
    gone = await post(
        f"{members_url}/{joined.json()['id']}/leave", json={"left_on": "2024-06-01"}, headers=street
    )
    assert gone.status_code == 200, gone.text
    leaving = await post(
        members_url, json={"org_id": f"{HEPING}-c3", "joined_on": "2024-02-01"}, headers=street
    )
    assert leaving.status_code == 201, leaving.text
    later = (today() + timedelta(days=30)).isoformat()
    scheduled = await post(
        f"{members_url}/{leaving.json()['id']}/leave", json={"left_on": later}, headers=street
    )
    assert scheduled.status_code == 200, scheduled.text
    await new_alliance(demo_registry, demo_registry.as_staff(C2), lead_org_id=C2)
    before = await state(demo_registry, alliance["id"])

    resident = demo_registry.as_resident()
    refusals: list[tuple[dict[str, str], dict[str, Any], int, str | None]] = [
        # not a manager: member staff, another street's staff, the assessment service, a resident
        (demo_registry.as_staff(C1), {"org_id": C1}, 403, None),
        (demo_registry.as_staff("demo-s-xinhua-chaoyang"), {"org_id": C1}, 403, None),
        (as_service(demo_registry), {"org_id": C1}, 403, None),
        (resident, {"org_id": C1}, 403, None),
        # not a current member
        (street, {"org_id": "demo-o-xinhua-tax"}, 409, "org_id"),
        (street, {"org_id": "demo-o-xinhua-justice"}, 409, "org_id"),
        (street, {"org_id": f"{HEPING}-c3"}, 409, "org_id"),
        # the lead already, or its name is taken among the new lead's live alliances
        (street, {"org_id": HEPING}, 409, None),
        (street, {"org_id": C2}, 409, None),
        # unknown organization, malformed bodies
        (street, {"org_id": "nope"}, 422, "org_id"),
        (street, {}, 422, "org_id"),
        (street, {"org_id": C1, "reason": "x"}, 422, "reason"),
    ]
    for headers, body, status, field in refusals:
        problem = assert_problem(await post(f"{url}/lead", json=body, headers=headers), status)
        if field is not None:
            assert field in [e["field"] for e in problem["errors"]], body
    assert_problem(await post(f"{BASE}/nope/lead", json={"org_id": C1}, headers=street), 404)
    assert await state(demo_registry, alliance["id"]) == before

    dissolved = await post(
        f"{url}/status", json={"status": "dissolved", "reason": "合并到其他联合体"}, headers=street
    )
    assert dissolved.status_code == 200, dissolved.text
    after_dissolution = await state(demo_registry, alliance["id"])
    assert_problem(await post(f"{url}/lead", json={"org_id": C1}, headers=street), 409)
    assert await state(demo_registry, alliance["id"]) == after_dissolution
