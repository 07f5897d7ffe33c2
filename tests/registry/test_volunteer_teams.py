"""Volunteer teams (志愿服务队), the eleven kinds of posts and members' claims (认领)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from tests.registry.conftest import Registry
from tests.registry.test_alliances import count, members_of
from tests.registry.test_organizations import assert_problem
from zhdj_gateway.identity.grants import scopes_for_roles
from zhdj_registry.models import VolunteerClaim, VolunteerTeam
from zhdj_registry.models.members import Member

BASE = "/api/registry/volunteer-teams"


async def team_with_post(
    registry: Registry, headers: dict[str, str], capacity: int
) -> tuple[str, str]:
    team = await registry.client.post(
        BASE,
        json={"name": "和平社区党员先锋队", "org_id": "demo-s-xinhua-heping-c1"},
        headers=headers,
    )
    assert team.status_code == 201, team.text
    post = await registry.client.post(
        f"{BASE}/{team.json()['id']}/posts",
        json={"kind": "legal_advice", "name": "法律咨询岗", "capacity": capacity},
        headers=headers,
    )
    assert post.status_code == 201, post.text
    return team.json()["id"], post.json()["id"]


async def test_search_by_post_kind_within_a_subtree(demo_registry: Registry) -> None:
    resident = demo_registry.as_resident()

    async def ids(**params: Any) -> list[str]:
        response = await demo_registry.client.get(BASE, params=params, headers=resident)
        assert response.status_code == 200, response.text
        return sorted(t["id"] for t in response.json()["items"])

    assert await ids(post_kind="legal_advice") == ["demo-vt-hnd"]
    assert await ids(post_kind="public_safety", within="demo-s-xinhua-chaoyang") == [
        "demo-vt-yangguang"
    ]
    assert await ids(post_kind="public_safety", within="demo-s-xinhua-heping") == []
    assert await ids(post_kind="practical_skills", within="demo-d-qinghe") == ["demo-vt-liulin"]
    assert await ids(within="demo-d-xinhua") == ["demo-vt-hnd", "demo-vt-park", "demo-vt-yangguang"]
    assert await ids(alliance_id="demo-a-park-xinhua") == ["demo-vt-park"]
    assert_problem(
        await demo_registry.client.get(BASE, params={"post_kind": "karaoke"}, headers=resident), 422
    )
    team = (await demo_registry.client.get(f"{BASE}/demo-vt-hnd", headers=resident)).json()
    assert {p["kind_label"] for p in team["posts"]} == {
        "理论政策宣传",
        "法律咨询服务",
        "帮扶救助关爱",
    }
    vocabulary = (
        await demo_registry.client.get("/api/registry/vocabulary/alliances", headers=resident)
    ).json()
    assert len(vocabulary["volunteer_post_kinds"]) == 11
    assert len(vocabulary["patterns"]) == 18
    # a post kind closed to new requests stops routing there: a new team's post is found at once
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    team_id, _ = await team_with_post(demo_registry, staff, 2)
    assert await ids(post_kind="legal_advice", within="demo-s-xinhua-heping") == [team_id]


async def test_a_post_is_never_over_claimed(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    team_id, post_id = await team_with_post(demo_registry, staff, 2)
    url = f"{BASE}/{team_id}/posts/{post_id}/claims"
    people = await members_of(demo_registry, "demo-s-xinhua-heping-c1", 3)
    assert len(people) == 3
    claims = []
    for member_id, name in people[:2]:
        response = await demo_registry.client.post(
            url, json={"member_id": member_id, "person_name": name}, headers=staff
        )
        assert response.status_code == 201, response.text
        claims.append(response.json())
    before = await count(demo_registry, VolunteerClaim)
    third = {"member_id": people[2][0], "person_name": people[2][1]}
    assert_problem(await demo_registry.client.post(url, json=third, headers=staff), 409)
    twice = {"member_id": people[0][0], "person_name": people[0][1]}
    assert_problem(await demo_registry.client.post(url, json=twice, headers=staff), 409)
    assert await count(demo_registry, VolunteerClaim) == before
    post = (
        await demo_registry.client.get(f"{BASE}/{team_id}/posts/{post_id}", headers=staff)
    ).json()
    assert (post["claimed"], post["available"]) == (2, 0)
    released = await demo_registry.client.post(
        f"{url}/{claims[0]['id']}/release", json={}, headers=staff
    )
    assert released.json()["active"] is False
    assert_problem(
        await demo_registry.client.post(f"{url}/{claims[0]['id']}/release", json={}, headers=staff),
        409,
    )
    assert (await demo_registry.client.post(url, json=third, headers=staff)).status_code == 201
    assert (
        await demo_registry.client.post(url, json=twice, headers=staff)
    ).status_code == 409  # full again
    active = (await demo_registry.client.get(url, headers=staff)).json()
    assert sorted(c["member_id"] for c in active) == sorted([people[1][0], people[2][0]])
    history = (await demo_registry.client.get(url, params={"history": True}, headers=staff)).json()
    assert len(history) == 3
    unknown = {"member_id": "nobody", "person_name": "无名"}
    assert_problem(
        await demo_registry.client.post(
            f"{BASE}/demo-vt-liulin/posts/demo-vt-liulin-p2/claims",
            json=unknown,
            headers=demo_registry.as_admin(),
        ),
        422,
    )


async def test_only_managers_or_the_member_claim(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    team_id, post_id = await team_with_post(demo_registry, staff, 5)
    url = f"{BASE}/{team_id}/posts/{post_id}/claims"
    (member_id, name), (other_id, other_name) = await members_of(
        demo_registry, "demo-s-xinhua-heping-c1", 2
    )
    before = await count(demo_registry, VolunteerClaim)
    for headers in (demo_registry.as_staff("demo-s-xinhua-chaoyang"), demo_registry.as_resident()):
        refused = await demo_registry.client.post(
            url, json={"member_id": member_id, "person_name": name}, headers=headers
        )
        assert_problem(refused, 403)
        post = await demo_registry.client.post(
            f"{BASE}/{team_id}/posts",
            json={"kind": "convenience", "name": "x", "capacity": 1},
            headers=headers,
        )
        assert_problem(post, 403)
    async with demo_registry.db.session() as session:  # commits (into the test's transaction)
        member = (await session.exec(select(Member).where(Member.id == member_id))).one()
        member.user_id = "user-self"
        session.add(member)
    # Exactly the scopes the gateway grants a party member (no registry:write).
    member_scopes = scopes_for_roles(["member"])
    assert "registry:write" not in member_scopes
    own = demo_registry.keys.bearer(
        sub="user-self",
        roles=["member"],
        orgs=["demo-s-xinhua-chaoyang"],
        scope=" ".join(sorted(member_scopes)),
    )
    for_other = await demo_registry.client.post(
        url, json={"member_id": other_id, "person_name": other_name}, headers=own
    )
    assert_problem(for_other, 403)
    assert await count(demo_registry, VolunteerClaim) == before
    mine = await demo_registry.client.post(
        url, json={"member_id": member_id, "person_name": name}, headers=own
    )
    assert mine.status_code == 201, mine.text
    released = await demo_registry.client.post(
        f"{url}/{mine.json()['id']}/release", json={"reason": "工作调动"}, headers=own
    )
    assert released.status_code == 200


async def test_a_team_has_exactly_one_owner(demo_registry: Registry) -> None:
    admin = demo_registry.as_admin()
    before = await count(demo_registry, VolunteerTeam)
    both = {
        "name": "双重队",
        "org_id": "demo-s-xinhua-heping",
        "alliance_id": "demo-a-heping-central",
    }
    assert_problem(await demo_registry.client.post(BASE, json=both, headers=admin), 422)
    neither = {"name": "无主队"}
    assert_problem(await demo_registry.client.post(BASE, json=neither, headers=admin), 422)
    assert await count(demo_registry, VolunteerTeam) == before
    manager = demo_registry.as_staff("demo-s-xinhua-heping")
    of_alliance = await demo_registry.client.post(
        BASE,
        json={"name": "和平联合体志愿队", "alliance_id": "demo-a-heping-central"},
        headers=manager,
    )
    assert of_alliance.status_code == 201
    assert of_alliance.json()["home_org_id"] == "demo-s-xinhua-heping"
    member_staff = demo_registry.as_staff("demo-s-xinhua-heping-c1")  # a member, not a manager
    refused = await demo_registry.client.post(
        BASE, json={"name": "越权队", "alliance_id": "demo-a-heping-central"}, headers=member_staff
    )
    assert_problem(refused, 403)
