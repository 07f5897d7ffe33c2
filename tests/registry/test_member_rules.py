"""A member's own routes need a person's token; a member who left is refused wherever a current
member is needed; leaving ends everything the member held. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from tests.registry.conftest import Registry
from tests.registry.test_alliances import members_of, new_alliance
from tests.registry.test_members import BRANCH, CHAOYANG, create_member
from tests.registry.test_organizations import assert_problem
from tests.registry.test_volunteer_teams import team_with_post
from zhdj_registry.codes import make_id_number
from zhdj_registry.demo_grids import DEMO_RESIDENT_USER_ID
from zhdj_registry.models import (
    AllianceAppointment,
    AllianceStaff,
    ConvenerPeriod,
    Member,
    Position,
    Transfer,
    Unit,
    VolunteerClaim,
    VolunteerTeam,
)
from zhdj_shared.clock import today_in_china

MEMBERS = "/api/registry/members"
POSITIONS = "/api/registry/positions"
ALLIANCES = "/api/registry/alliances"
TEAMS = "/api/registry/volunteer-teams"
HEPING = "demo-s-xinhua-heping"
DEMO_MEMBER_USER_ID = "demo-user-member-li"


def client_token(registry: Registry, sub: str, **claims: Any) -> dict[str, str]:
    """A token the gateway issues to a client: for its client credentials, or in exchange for
    one of its API keys. Its subject is the client id, whatever that id looks like."""
    return registry.keys.bearer(sub=sub, kind="client", client_id=sub, **claims)


async def rows(registry: Registry, model: Any) -> list[dict[str, Any]]:
    async with registry.session() as session:
        found = (await session.exec(select(model).order_by(col(model.id)))).all()
        return [r.model_dump() for r in found]


async def everything(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """Every row a refused write could have touched."""
    models = (
        Member,
        Position,
        Transfer,
        AllianceAppointment,
        AllianceStaff,
        ConvenerPeriod,
        VolunteerTeam,
        VolunteerClaim,
        Unit,
    )
    return {m.__name__: await rows(registry, m) for m in models}


# --- item: the caller's own records need a person's token -----------------------------------


async def test_me_routes_refuse_client_tokens(demo_registry: Registry) -> None:
    get = demo_registry.client.get
    member = demo_registry.keys.bearer(sub=DEMO_MEMBER_USER_ID, roles=["member"])
    mine = await get(f"{MEMBERS}/me", headers=member)
    assert mine.status_code == 200, mine.text
    assert mine.json()["name"] == "李明"
    resident = demo_registry.keys.bearer(sub=DEMO_RESIDENT_USER_ID, roles=["resident"])
    household = await get("/api/registry/households/mine", headers=resident)
    assert household.status_code == 200, household.text

    # Clients whose id happens to equal a person's user id, with every role that could tempt
    # a shortcut: never that person's record, never a 500.
    for roles in ([], ["service"], ["member"], ["resident"], ["admin"]):
        for url, sub in (
            (f"{MEMBERS}/me", DEMO_MEMBER_USER_ID),
            ("/api/registry/households/mine", DEMO_RESIDENT_USER_ID),
        ):
            refused = await get(url, headers=client_token(demo_registry, sub, roles=roles))
            problem = assert_problem(refused, 403)
            assert "client token" in problem["detail"]
            assert "李明" not in refused.text
            assert "张建国" not in refused.text
    # a person with no linked record: 404, as before
    nobody = demo_registry.keys.bearer(sub="user-without-records", roles=["member"])
    assert_problem(await get(f"{MEMBERS}/me", headers=nobody), 404)
    assert_problem(await get("/api/registry/households/mine", headers=nobody), 404)


async def test_a_client_with_the_member_role_cannot_claim_for_a_member(
    demo_registry: Registry,
) -> None:
    staff = demo_registry.as_staff(HEPING)
    team_id, post_id = await team_with_post(demo_registry, staff, 5)
    url = f"{TEAMS}/{team_id}/posts/{post_id}/claims"
    async with demo_registry.session() as session:
        li = (await session.exec(select(Member).where(Member.user_id == DEMO_MEMBER_USER_ID))).one()
    body = {"member_id": li.id, "person_name": li.name}
    before = await rows(demo_registry, VolunteerClaim)
    impostor = client_token(
        demo_registry, DEMO_MEMBER_USER_ID, roles=["member"], scope="registry:volunteer"
    )
    assert_problem(await demo_registry.client.post(url, json=body, headers=impostor), 403)
    assert await rows(demo_registry, VolunteerClaim) == before
    himself = demo_registry.keys.bearer(
        sub=DEMO_MEMBER_USER_ID, roles=["member"], scope="registry:volunteer"
    )
    claimed = await demo_registry.client.post(url, json=body, headers=himself)
    assert claimed.status_code == 201, claimed.text


# --- item: a member who has left is refused where a current member is needed ---------------


async def test_a_member_who_left_is_refused_everywhere(demo_registry: Registry) -> None:
    post = demo_registry.client.post
    chaoyang, heping = demo_registry.as_staff(CHAOYANG), demo_registry.as_staff(HEPING)
    alliance = await new_alliance(demo_registry, heping, member_org_ids=["demo-s-xinhua-heping-c1"])
    team_id, post_id = await team_with_post(demo_registry, heping, 5)
    member = await create_member(demo_registry)
    left = await post(
        f"{MEMBERS}/{member['id']}/leave",
        json={"left_on": "2025-05-01", "reason": "withdrawn"},
        headers=chaoyang,
    )
    assert left.status_code == 200, left.text
    who = {"member_id": member["id"], "person_name": member["name"]}
    today = today_in_china().isoformat()
    attempts: list[tuple[str, str, dict[str, str], dict[str, Any], str]] = [
        (
            "post",
            POSITIONS,
            chaoyang,
            {"member_id": member["id"], "org_id": BRANCH, "kind": "committee_member"}
            | {"start_on": "2024-01-01"},
            "member_id",
        ),
        (
            "post",
            f"{ALLIANCES}/{alliance['id']}/appointments",
            heping,
            who | {"role": "committee_member", "home_org_id": HEPING, "started_on": "2024-02-01"},
            "member_id",
        ),
        (
            "post",
            f"{ALLIANCES}/{alliance['id']}/staff",
            heping,
            who | {"engagement": "hired", "started_on": "2024-02-01"},
            "member_id",
        ),
        (
            "post",
            f"{ALLIANCES}/{alliance['id']}/conveners",
            heping,
            who | {"start_on": today, "end_on": today, "org_id": HEPING},
            "member_id",
        ),
        (
            "post",
            TEAMS,
            heping,
            {"name": "离开者带领的队", "org_id": "demo-s-xinhua-heping-c1"}
            | {"leader_member_id": member["id"], "leader_name": member["name"]},
            "leader_member_id",
        ),
        (
            "patch",
            f"{TEAMS}/{team_id}",
            heping,
            {"leader_member_id": member["id"], "leader_name": member["name"]},
            "leader_member_id",
        ),
        ("post", f"{TEAMS}/{team_id}/posts/{post_id}/claims", heping, who, "member_id"),
        (
            "put",
            "/api/registry/units/demo-u-018/coverage",
            chaoyang,
            {"instructor_member_id": member["id"]},
            "instructor_member_id",
        ),
    ]
    before = await everything(demo_registry)
    for method, url, headers, body, field in attempts:
        response = await getattr(demo_registry.client, method)(url, json=body, headers=headers)
        problem = assert_problem(response, 409)
        assert "left" in problem["detail"], url
        assert [e["field"] for e in problem["errors"]] == [field], url
        # the same write naming a member who never existed is a 422 on the same field
        unknown = {k: ("nobody" if v == member["id"] else v) for k, v in body.items()}
        response = await getattr(demo_registry.client, method)(url, json=unknown, headers=headers)
        assert field in [e["field"] for e in assert_problem(response, 422)["errors"]], url
    # their relation cannot move, and they cannot leave twice
    transfer = {"to_org_id": "demo-s-xinhua-heping-c1-b1", "reason": "工作调动", "date": today}
    assert_problem(
        await post(f"{MEMBERS}/{member['id']}/transfers", json=transfer, headers=chaoyang), 409
    )
    again = {"left_on": today, "reason": "other"}
    assert_problem(await post(f"{MEMBERS}/{member['id']}/leave", json=again, headers=chaoyang), 409)
    assert await everything(demo_registry) == before


# --- item: leaving ends what the member held ----------------------------------------------


async def appoint(registry: Registry, **body: Any) -> str:
    response = await registry.client.post(POSITIONS, json=body, headers=registry.as_staff(CHAOYANG))
    assert response.status_code == 201, response.text
    position_id: str = response.json()["id"]
    return position_id


async def seat(registry: Registry, url: str, **body: Any) -> str:
    response = await registry.client.post(url, json=body, headers=registry.as_staff(HEPING))
    assert response.status_code == 201, response.text
    row_id: str = response.json()["id"]
    return row_id


async def test_leaving_ends_positions_seats_engagements_and_claims(
    demo_registry: Registry,
) -> None:
    today = today_in_china()
    left_on = today - timedelta(days=3)
    heping = demo_registry.as_staff(HEPING)
    member = await create_member(demo_registry)
    mid, name = member["id"], member["name"]
    base = {"member_id": mid, "org_id": BRANCH}
    open_position = await appoint(
        demo_registry, **base, kind="committee_member", start_on="2024-01-01"
    )
    fixed_term = await appoint(
        demo_registry,
        **base,
        kind="organization_committee_member",
        start_on="2024-01-01",
        end_on=(today + timedelta(days=365)).isoformat(),
    )
    not_begun = await appoint(
        demo_registry,
        **base,
        kind="propaganda_committee_member",
        start_on=(today + timedelta(days=30)).isoformat(),
    )
    past = await appoint(
        demo_registry,
        **base,
        kind="discipline_committee_member",
        start_on="2022-01-01",
        end_on="2023-01-01",
    )
    alliance = await new_alliance(demo_registry, heping)
    seats = f"{ALLIANCES}/{alliance['id']}/appointments"
    who = {"member_id": mid, "person_name": name, "home_org_id": HEPING}
    open_seat = await seat(
        demo_registry, seats, **who, role="committee_member", started_on="2024-02-01"
    )
    ends_later = await seat(
        demo_registry,
        seats,
        **who,
        role="liaison",
        started_on="2024-02-01",
        ended_on=(today + timedelta(days=100)).isoformat(),
    )
    future_seat = await seat(
        demo_registry,
        seats,
        **who,
        role="deputy_convener",
        started_on=(today + timedelta(days=10)).isoformat(),
    )
    ended_seat = await seat(
        demo_registry,
        seats,
        **who,
        role="secretary",
        started_on="2023-01-01",
        ended_on="2023-12-31",
    )
    engagement = await seat(
        demo_registry,
        f"{ALLIANCES}/{alliance['id']}/staff",
        member_id=mid,
        person_name=name,
        engagement="hired",
        started_on="2024-03-01",
    )
    team_id, post_id = await team_with_post(demo_registry, heping, 1)
    claims = f"{TEAMS}/{team_id}/posts/{post_id}/claims"
    claim = await seat(demo_registry, claims, member_id=mid, person_name=name)
    leader = {"leader_member_id": mid, "leader_name": name}
    owner = {"org_id": "demo-s-xinhua-heping-c1"}
    led = await seat(demo_registry, TEAMS, name="由其带领的队", **owner, **leader)
    disbanded = await seat(demo_registry, TEAMS, name="已解散的队", **owner, **leader)
    gone = await demo_registry.client.patch(
        f"{TEAMS}/{disbanded}", json={"status": "disbanded"}, headers=heping
    )
    assert gone.status_code == 200, gone.text

    # refused leavings change nothing
    before = await everything(demo_registry)
    leave = f"{MEMBERS}/{mid}/leave"
    good = {"left_on": left_on.isoformat(), "reason": "deceased"}
    future = {**good, "left_on": (today + timedelta(days=1)).isoformat()}
    post = demo_registry.client.post
    assert_problem(await post(leave, json=future, headers=demo_registry.as_staff(CHAOYANG)), 422)
    assert_problem(await post(leave, json=good, headers=heping), 403)
    assert_problem(await post(leave, json=good, headers=demo_registry.as_resident()), 403)
    assert await everything(demo_registry) == before

    done = await post(leave, json=good, headers=demo_registry.as_staff(CHAOYANG))
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["active"] is False
    assert answer["ended_position_ids"] == sorted([open_position, fixed_term, not_begun])
    assert answer["ended_appointment_ids"] == sorted([open_seat, ends_later, future_seat])
    assert answer["ended_staff_ids"] == [engagement]
    assert answer["released_claim_ids"] == [claim]
    assert answer["led_team_ids"] == [led]  # a disbanded team keeps its last leader

    async with demo_registry.session() as session:
        positions = {
            p.id: p
            for p in (await session.exec(select(Position).where(Position.member_id == mid))).all()
        }
        seats_now = {
            a.id: a
            for a in (
                await session.exec(
                    select(AllianceAppointment).where(AllianceAppointment.member_id == mid)
                )
            ).all()
        }
        staff = await session.get(AllianceStaff, engagement)
        claimed = await session.get(VolunteerClaim, claim)
        leaderless = await session.get(VolunteerTeam, led)
        history = await session.get(VolunteerTeam, disbanded)
    # positions end on left_on (events end exclusively); one not begun ends on its start
    assert positions[open_position].end_on == left_on
    assert positions[fixed_term].end_on == left_on
    assert positions[not_begun].end_on == positions[not_begun].start_on
    assert positions[past].end_on == date(2023, 1, 1)
    assert {positions[i].ended_by for i in answer["ended_position_ids"]} == {"staff-1"}
    # seats and engagements are terms: their last day is the day before left_on
    last_day = left_on - timedelta(days=1)
    assert seats_now[open_seat].ended_on == last_day
    assert seats_now[ends_later].ended_on == last_day
    future_start = seats_now[future_seat].started_on
    assert seats_now[future_seat].ended_on == future_start - timedelta(days=1)
    assert seats_now[ended_seat].ended_on == date(2023, 12, 31)
    assert staff is not None
    assert staff.ended_on == last_day
    assert claimed is not None
    assert claimed.released_at is not None
    assert claimed.release_reason is not None
    assert "去世" in claimed.release_reason

    assert leaderless is not None
    assert (leaderless.leader_member_id, leaderless.leader_name) == (None, None)
    assert history is not None
    assert history.leader_member_id == mid

    # and every read agrees: nothing held today, the post free again
    get = demo_registry.client.get
    held = await get(POSITIONS, params={"member_id": mid}, headers=heping)
    assert held.json()["items"] == []
    team_today = await get(seats, params={"on": today.isoformat()}, headers=heping)
    assert [a for a in team_today.json() if a["member_id"] == mid] == []
    later = (today + timedelta(days=20)).isoformat()
    team_later = await get(seats, params={"on": later}, headers=heping)
    assert [a for a in team_later.json() if a["member_id"] == mid] == []
    staff_today = await get(
        f"{ALLIANCES}/{alliance['id']}/staff", params={"on": today.isoformat()}, headers=heping
    )
    assert staff_today.json() == []
    free = (await get(f"{TEAMS}/{team_id}/posts/{post_id}", headers=heping)).json()
    assert (free["claimed"], free["available"]) == (0, 1)


async def test_a_position_that_never_began_blocks_no_one(demo_registry: Registry) -> None:
    """Leaving ends a secretary post that had not begun on its own start: it held no day, so
    another secretary may be appointed across that day (one holder at a time still holds)."""
    staff = demo_registry.as_staff(CHAOYANG)
    branch = await demo_registry.client.post(
        "/api/registry/organizations",
        json={
            "name": "测试新建党支部",
            "kind": "branch",
            "sector": "community",
            "parent_id": f"{CHAOYANG}-c1",
        },
        headers=staff,
    )
    assert branch.status_code == 201, branch.text
    org_id = branch.json()["id"]
    today = today_in_china()
    member = await create_member(demo_registry)
    start = (today + timedelta(days=30)).isoformat()
    await appoint(
        demo_registry, member_id=member["id"], org_id=org_id, kind="secretary", start_on=start
    )
    other = await create_member(
        demo_registry, name="司马光", id_number=make_id_number("370102", date(1990, 3, 7), 125)
    )
    second = {"member_id": other["id"], "org_id": org_id, "kind": "secretary"}
    clash = await demo_registry.client.post(
        POSITIONS, json={**second, "start_on": today.isoformat()}, headers=staff
    )
    assert_problem(clash, 409)  # one secretary at a time
    left = await demo_registry.client.post(
        f"{MEMBERS}/{member['id']}/leave",
        json={"left_on": today.isoformat(), "reason": "other"},
        headers=staff,
    )
    assert left.status_code == 200, left.text
    appointed = await demo_registry.client.post(
        POSITIONS, json={**second, "start_on": today.isoformat()}, headers=staff
    )
    assert appointed.status_code == 201, appointed.text
    # and the single-holder rule still refuses a third secretary over the same days
    third = await create_member(
        demo_registry, name="王安石", id_number=make_id_number("370102", date(1990, 3, 7), 127)
    )
    assert_problem(
        await demo_registry.client.post(
            POSITIONS,
            json={**second, "member_id": third["id"], "start_on": start},
            headers=staff,
        ),
        409,
    )


async def test_a_transfer_ends_fixed_terms_running_past_it(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    today = today_in_china()
    member = await create_member(demo_registry)
    fixed_term = await appoint(
        demo_registry,
        member_id=member["id"],
        org_id=BRANCH,
        kind="committee_member",
        start_on="2024-01-01",
        end_on=(today + timedelta(days=200)).isoformat(),
    )
    body = {
        "to_org_id": "demo-s-xinhua-heping-c1-b1",
        "reason": "工作调动",
        "date": today.isoformat(),
    }
    moved = await demo_registry.client.post(
        f"{MEMBERS}/{member['id']}/transfers", json=body, headers=staff
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["ended_position_ids"] == [fixed_term]
    async with demo_registry.session() as session:
        position = await session.get(Position, fixed_term)
    assert position is not None
    assert position.end_on == today


async def test_a_team_gets_a_new_leader_who_is_a_current_member(demo_registry: Registry) -> None:
    heping = demo_registry.as_staff(HEPING)
    team_id, _ = await team_with_post(demo_registry, heping, 1)
    url = f"{TEAMS}/{team_id}"
    (member_id, name), _ = await members_of(demo_registry, "demo-s-xinhua-heping-c1", 2)
    named = await demo_registry.client.patch(
        url, json={"leader_member_id": member_id, "leader_name": name}, headers=heping
    )
    assert named.status_code == 200, named.text
    assert (named.json()["leader_member_id"], named.json()["leader_name"]) == (member_id, name)
    before = await rows(demo_registry, VolunteerTeam)
    for body in (
        {"leader_member_id": member_id},
        {"leader_name": name},
        {"leader_member_id": None, "leader_name": name},
    ):
        assert_problem(await demo_registry.client.patch(url, json=body, headers=heping), 422)
    outsider = demo_registry.as_staff(CHAOYANG)
    body = {"leader_member_id": member_id, "leader_name": name}
    assert_problem(await demo_registry.client.patch(url, json=body, headers=outsider), 403)
    assert await rows(demo_registry, VolunteerTeam) == before
    cleared = await demo_registry.client.patch(
        url, json={"leader_member_id": None, "leader_name": None}, headers=heping
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["leader_member_id"] is None
