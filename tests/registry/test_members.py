"""Party members, positions and transfers: masking, authorization, rules and history."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlmodel import col, func, select

from tests.registry.conftest import Registry
from zhdj_registry.codes import make_id_number
from zhdj_registry.models import Member, Organization, Position, Transfer

BASE = "/api/registry/members"
POSITIONS = "/api/registry/positions"
CHAOYANG = "demo-s-xinhua-chaoyang"
BRANCH = f"{CHAOYANG}-c1-b1"
HEPING_BRANCH = "demo-s-xinhua-heping-c1-b1"
VALID_ID = make_id_number("370102", date(1990, 3, 7), 123)  # odd sequence: a man


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def member_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "欧阳修远",
        "gender": "male",
        "birth_date": "1990-03-07",
        "home_org_id": BRANCH,
        "status": "full",
        "joined_on": "2015-07-01",
        "converted_on": "2016-07-01",
        "phone": "13812345678",
        "id_number": VALID_ID,
        "address": "山东省示范市新华区朝阳路18号3号楼2单元501室",
    }
    return {**body, **overrides}


async def create_member(registry: Registry, **overrides: Any) -> dict[str, Any]:
    response = await registry.client.post(
        BASE, json=member_body(**overrides), headers=registry.as_staff(CHAOYANG)
    )
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


async def secretary_of(registry: Registry, org_id: str) -> Position:
    async with registry.session() as session:
        query = select(Position).where(
            col(Position.org_id) == org_id,
            col(Position.kind) == "secretary",
            col(Position.end_on).is_(None),
        )
        return (await session.exec(query)).one()


async def snapshot(registry: Registry) -> tuple[int, int, list[Any]]:
    async with registry.session() as session:
        members = (await session.exec(select(func.count()).select_from(Member))).one()
        transfers = (await session.exec(select(func.count()).select_from(Transfer))).one()
        positions = (await session.exec(select(Position).order_by(col(Position.id)))).all()
        return members, transfers, [p.model_dump() for p in positions]


# --- reading and masking ---------------------------------------------------------------------


async def test_managers_see_personal_data_others_see_it_masked(demo_registry: Registry) -> None:
    member = await create_member(demo_registry)
    assert member["personal_data_masked"] is False
    assert member["id_number"] == VALID_ID
    url = f"{BASE}/{member['id']}"
    for managing in (CHAOYANG, "demo-d-xinhua", BRANCH):
        full = (
            await demo_registry.client.get(url, headers=demo_registry.as_staff(managing))
        ).json()
        assert full["phone"] == "13812345678"
        assert full["address"].startswith("山东省示范市新华区朝阳路18号")
    assessor = demo_registry.keys.bearer(sub="a-1", roles=["assessor"], orgs=["demo-city"])
    party_member = demo_registry.keys.bearer(sub="m-9", roles=["member"], orgs=[CHAOYANG])
    assert_problem(await demo_registry.client.get(url, headers=party_member), 403)
    for headers in (assessor,):
        masked = (await demo_registry.client.get(url, headers=headers)).json()
        assert masked["personal_data_masked"] is True
        assert masked["phone"] == "138****5678"
        assert masked["id_number"] == VALID_ID[:4] + "*" * 10 + VALID_ID[-4:]
        assert masked["address"] == "山东省示范市新华区****"
        assert masked["birth_date"] is None
        assert masked["name"] == "欧阳修远"
    for outsider in ("demo-d-dongcheng", "demo-s-xinhua-heping", f"{CHAOYANG}-c2"):
        refused = await demo_registry.client.get(url, headers=demo_registry.as_staff(outsider))
        assert_problem(refused, 403)


async def test_a_member_reads_their_own_record(demo_registry: Registry) -> None:
    member = await create_member(demo_registry, user_id="user-ouyang")
    me = demo_registry.keys.bearer(sub="user-ouyang", roles=["member"], orgs=[])
    own = await demo_registry.client.get(f"{BASE}/{member['id']}", headers=me)
    assert own.status_code == 200, own.text
    assert own.json()["id_number"] == VALID_ID
    assert own.json()["personal_data_masked"] is False
    via_me = await demo_registry.client.get(f"{BASE}/me", headers=me)
    assert via_me.json()["id"] == member["id"]
    other = await demo_registry.client.get(
        f"{BASE}/me", headers=demo_registry.keys.bearer(sub="someone-else", roles=["member"])
    )
    assert_problem(other, 404)
    # someone else's record, and lists, stay closed to a member without organizations
    async with demo_registry.session() as session:
        stranger = (await session.exec(select(Member).where(Member.id != member["id"]))).first()
    assert stranger is not None
    assert_problem(await demo_registry.client.get(f"{BASE}/{stranger.id}", headers=me), 403)
    assert_problem(await demo_registry.client.get(BASE, headers=me), 403)


async def test_a_member_whose_token_names_an_organization_does_not_read_its_rolls(
    demo_registry: Registry,
) -> None:
    """The gateway's demo member acts for 朝阳街道 (their own organization), as staff would;
    acting for it is not keeping its rolls: their own record yes, anyone else's or a list no."""
    member = await create_member(demo_registry, user_id="user-ouyang")
    me = demo_registry.keys.bearer(sub="user-ouyang", roles=["member"], orgs=[CHAOYANG])
    assert (await demo_registry.client.get(f"{BASE}/{member['id']}", headers=me)).status_code == 200
    async with demo_registry.session() as session:
        colleague = (
            await session.exec(
                select(Member).where(Member.home_org_id == BRANCH, Member.id != member["id"])
            )
        ).first()
    assert colleague is not None
    assert_problem(await demo_registry.client.get(f"{BASE}/{colleague.id}", headers=me), 403)
    assert_problem(await demo_registry.client.get(BASE, headers=me), 403)
    assert_problem(await demo_registry.client.get(BASE, params={"within": BRANCH}, headers=me), 403)
    # Staff and assessors acting for it still read the list (masked for the assessor).
    for reader in ("org_staff", "assessor"):
        token = demo_registry.keys.bearer(sub=f"{reader}-1", roles=[reader], orgs=[CHAOYANG])
        listed = await demo_registry.client.get(BASE, params={"within": BRANCH}, headers=token)
        assert listed.status_code == 200, listed.text
        assert colleague.id in {m["id"] for m in listed.json()["items"]}


async def test_residents_are_refused_and_anonymous_is_401(demo_registry: Registry) -> None:
    member = await create_member(demo_registry)
    resident = demo_registry.as_resident()
    assert_problem(await demo_registry.client.get(BASE, headers=resident), 403)
    assert_problem(await demo_registry.client.get(f"{BASE}/{member['id']}", headers=resident), 403)
    assert_problem(
        await demo_registry.client.get(f"{BASE}/{member['id']}/transfers", headers=resident), 403
    )
    assert_problem(await demo_registry.client.get(BASE), 401)
    assert_problem(await demo_registry.client.get(f"{BASE}/{member['id']}"), 401)
    assert_problem(await demo_registry.client.post(BASE, json=member_body()), 401)


async def test_lists_cover_exactly_the_callers_subtrees(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG, "demo-park-xinhua")
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = (await demo_registry.client.get(BASE, params=params, headers=staff)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    async with demo_registry.session() as session:
        orgs = {o.id: o for o in (await session.exec(select(Organization))).all()}
        rows = (await session.exec(select(Member))).all()
    prefixes = (orgs[CHAOYANG].path, orgs["demo-park-xinhua"].path)
    expected = {m.id for m in rows if orgs[m.home_org_id].path.startswith(prefixes)}
    assert {m["id"] for m in seen} == expected
    assert len(seen) == len(expected) > 50
    assert all(not m["personal_data_masked"] for m in seen)
    narrowed = await demo_registry.client.get(
        BASE, params={"within": BRANCH, "limit": 200}, headers=staff
    )
    assert {m["home_org_id"] for m in narrowed.json()["items"]} == {BRANCH}
    outside = await demo_registry.client.get(
        BASE, params={"within": "demo-d-dongcheng"}, headers=staff
    )
    assert_problem(outside, 403)
    # the city's assessors see everyone below the city, masked
    assessor = demo_registry.keys.bearer(sub="a-1", roles=["assessor"], orgs=["demo-city"])
    page = (await demo_registry.client.get(BASE, params={"limit": 5}, headers=assessor)).json()
    assert len(page["items"]) == 5
    assert all(m["personal_data_masked"] for m in page["items"])
    assert all(re.fullmatch(r"1\d\d\*{4}\d{4}", m["phone"]) for m in page["items"])


async def test_members_are_found_by_chinese_pinyin_and_initials(demo_registry: Registry) -> None:
    member = await create_member(demo_registry)
    staff = demo_registry.as_staff(CHAOYANG)
    for query in ("欧阳修远", "修远", "ouyang", "ouyangxiuyuan", "oyxy"):
        found = await demo_registry.client.get(BASE, params={"name": query}, headers=staff)
        assert member["id"] in [m["id"] for m in found.json()["items"]], query
    chen = await demo_registry.client.get(
        BASE, params={"name": "陈静", "within": CHAOYANG}, headers=staff
    )
    assert [m["home_org_id"] for m in chen.json()["items"]] == [CHAOYANG]


# --- validation ---------------------------------------------------------------------------


async def test_id_numbers_are_validated_with_field_errors(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    before = await snapshot(demo_registry)
    wrong_check = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    bad_date = make_id_number("370102", date(1990, 3, 7), 123)[:10] + "1332" + VALID_ID[14:]
    cases = [
        wrong_check,
        bad_date,
        "37010219900307123",  # 17 characters
        "99010219900307123X",  # no such province
        "3701021990030712A4",
    ]
    for bad in cases:
        response = await demo_registry.client.post(
            BASE, json=member_body(id_number=bad), headers=staff
        )
        problem = assert_problem(response, 422)
        assert [e["field"] for e in problem["errors"]] == ["id_number"], bad
    mismatched = await demo_registry.client.post(
        BASE, json=member_body(birth_date="1991-03-07"), headers=staff
    )
    assert "id_number" in [e["field"] for e in assert_problem(mismatched, 422)["errors"]]
    wrong_gender = await demo_registry.client.post(
        BASE, json=member_body(gender="female"), headers=staff
    )
    assert "id_number" in [e["field"] for e in assert_problem(wrong_gender, 422)["errors"]]
    probationary = await demo_registry.client.post(
        BASE, json=member_body(status="probationary"), headers=staff
    )
    assert "converted_on" in [e["field"] for e in assert_problem(probationary, 422)["errors"]]
    assert await snapshot(demo_registry) == before
    x_number = make_id_number("110101", date(1985, 1, 1), 2)
    if x_number[-1] != "X":  # find a valid number ending in X to check case folding
        x_number = next(
            n
            for s in range(0, 999, 2)
            if (n := make_id_number("110101", date(1985, 1, 1), s)).endswith("X")
        )
    ok = await demo_registry.client.post(
        BASE,
        json=member_body(id_number=x_number.lower(), birth_date="1985-01-01", gender="female"),
        headers=staff,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["id_number"] == x_number
    duplicate = await demo_registry.client.post(
        BASE,
        json=member_body(id_number=x_number, birth_date=None, gender=None),
        headers=staff,
    )
    assert_problem(duplicate, 409)


async def test_outsiders_cannot_write_members(demo_registry: Registry) -> None:
    member = await create_member(demo_registry)
    url = f"{BASE}/{member['id']}"
    before = await snapshot(demo_registry)
    outsider = demo_registry.as_staff("demo-d-dongcheng")
    member_role = demo_registry.keys.bearer(sub="m-1", roles=["member"], orgs=[CHAOYANG])
    for headers in (outsider, member_role):
        attempts = [
            await demo_registry.client.post(BASE, json=member_body(), headers=headers),
            await demo_registry.client.patch(url, json={"phone": "13900000000"}, headers=headers),
            await demo_registry.client.post(
                f"{url}/leave", json={"left_on": "2024-01-01", "reason": "other"}, headers=headers
            ),
            await demo_registry.client.post(
                f"{url}/transfers",
                json={"to_org_id": HEPING_BRANCH, "reason": "工作调动", "date": "2024-05-01"},
                headers=headers,
            ),
            await demo_registry.client.post(
                POSITIONS,
                json={
                    "member_id": member["id"],
                    "org_id": BRANCH,
                    "kind": "committee_member",
                    "start_on": "2024-01-01",
                },
                headers=headers,
            ),
        ]
        for response in attempts:
            assert_problem(response, 403)
    assert await snapshot(demo_registry) == before
    unchanged = await demo_registry.client.get(url, headers=demo_registry.as_staff(CHAOYANG))
    assert unchanged.json()["phone"] == "13812345678"


# --- positions ----------------------------------------------------------------------------


async def test_one_current_secretary_and_no_double_positions(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    member = await create_member(demo_registry)
    appoint = {
        "member_id": member["id"],
        "org_id": BRANCH,
        "kind": "committee_member",
        "start_on": "2024-01-01",
    }
    first = await demo_registry.client.post(POSITIONS, json=appoint, headers=staff)
    assert first.status_code == 201, first.text
    assert first.json()["kind_label"] == "委员"
    assert first.headers["location"] == f"{POSITIONS}/{first.json()['id']}"
    twice = await demo_registry.client.post(
        POSITIONS, json={**appoint, "start_on": "2024-06-01"}, headers=staff
    )
    assert_problem(twice, 409)
    # an earlier, already ended period that reaches into the current one is refused too
    overlapping_past = await demo_registry.client.post(
        POSITIONS, json={**appoint, "start_on": "2023-01-01", "end_on": "2024-02-01"}, headers=staff
    )
    assert_problem(overlapping_past, 409)
    before_past = await demo_registry.client.post(
        POSITIONS, json={**appoint, "start_on": "2022-01-01", "end_on": "2024-01-01"}, headers=staff
    )
    assert before_past.status_code == 201  # ends the day the next one starts

    old = await secretary_of(demo_registry, BRANCH)
    second_secretary = {**appoint, "kind": "secretary", "start_on": "2025-03-01"}
    assert_problem(
        await demo_registry.client.post(POSITIONS, json=second_secretary, headers=staff), 409
    )
    ended = await demo_registry.client.post(
        f"{POSITIONS}/{old.id}/end", json={"end_on": "2025-03-01"}, headers=staff
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["current"] is False
    again = await demo_registry.client.post(
        f"{POSITIONS}/{old.id}/end", json={"end_on": "2025-03-02"}, headers=staff
    )
    assert_problem(again, 409)
    new = await demo_registry.client.post(POSITIONS, json=second_secretary, headers=staff)
    assert new.status_code == 201, new.text

    async def secretaries(**params: Any) -> list[str]:
        response = await demo_registry.client.get(
            POSITIONS, params={"org_id": BRANCH, "kind": "secretary", **params}, headers=staff
        )
        return [p["member_id"] for p in response.json()["items"]]

    assert await secretaries() == [member["id"]]
    assert await secretaries(at="2025-02-28") == [old.member_id]
    assert await secretaries(at="2025-03-01") == [member["id"]]
    assert set(await secretaries(include_ended=True)) == {old.member_id, member["id"]}
    by_member = await demo_registry.client.get(
        POSITIONS, params={"member_id": member["id"], "include_ended": True}, headers=staff
    )
    assert sorted(p["kind"] for p in by_member.json()["items"]) == [
        "committee_member",
        "committee_member",
        "secretary",
    ]


async def test_leaving_ends_positions(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    secretary = await secretary_of(demo_registry, BRANCH)
    left = await demo_registry.client.post(
        f"{BASE}/{secretary.member_id}/leave",
        json={"left_on": "2025-05-01", "reason": "deceased"},
        headers=staff,
    )
    assert left.status_code == 200, left.text
    assert left.json()["active"] is False
    assert left.json()["left_reason_label"] == "去世"
    current = await demo_registry.client.get(
        POSITIONS, params={"org_id": BRANCH, "kind": "secretary"}, headers=staff
    )
    assert current.json()["items"] == []
    listed = await demo_registry.client.get(BASE, params={"within": BRANCH}, headers=staff)
    assert secretary.member_id not in [m["id"] for m in listed.json()["items"]]


# --- transfers ----------------------------------------------------------------------------


async def test_a_transfer_moves_the_member_and_keeps_history(demo_registry: Registry) -> None:
    secretary = await secretary_of(demo_registry, BRANCH)
    member_id = secretary.member_id
    chaoyang_staff = demo_registry.as_staff(CHAOYANG)
    body = {"to_org_id": HEPING_BRANCH, "reason": "居住地变更", "date": "2025-04-01"}
    response = await demo_registry.client.post(
        f"{BASE}/{member_id}/transfers", json=body, headers=chaoyang_staff
    )
    assert response.status_code == 201, response.text
    first = response.json()
    assert response.headers["location"] == f"{BASE}/{member_id}/transfers/{first['id']}"
    assert first["from_org_id"] == BRANCH
    assert first["performed_by"] == "staff-1"
    assert secretary.id in first["ended_position_ids"]
    heping_staff = demo_registry.as_staff("demo-s-xinhua-heping")
    member = (await demo_registry.client.get(f"{BASE}/{member_id}", headers=heping_staff)).json()
    assert member["home_org_id"] == HEPING_BRANCH
    assert member["personal_data_masked"] is False
    # the old branch has no secretary any more; the old street no longer sees the member
    old_positions = await demo_registry.client.get(
        POSITIONS, params={"org_id": BRANCH, "kind": "secretary"}, headers=chaoyang_staff
    )
    assert old_positions.json()["items"] == []
    assert_problem(
        await demo_registry.client.get(f"{BASE}/{member_id}", headers=chaoyang_staff), 403
    )
    again = await demo_registry.client.post(
        f"{BASE}/{member_id}/transfers",
        json={**body, "to_org_id": BRANCH},
        headers=chaoyang_staff,
    )
    assert_problem(again, 403)  # only the current organization's side may send them on
    onward = await demo_registry.client.post(
        f"{BASE}/{member_id}/transfers",
        json={"to_org_id": "demo-e-hongxing", "reason": "入职园区企业", "date": "2025-06-01"},
        headers=heping_staff,
    )
    assert onward.status_code == 201, onward.text
    history = await demo_registry.client.get(
        f"{BASE}/{member_id}/transfers", headers=demo_registry.as_staff("demo-d-xinhua")
    )
    items = history.json()["items"]
    assert [(t["from_org_id"], t["to_org_id"]) for t in items] == [
        (BRANCH, HEPING_BRANCH),
        (HEPING_BRANCH, "demo-e-hongxing"),
    ]
    park = await demo_registry.client.get(
        BASE, params={"within": "demo-park-xinhua", "limit": 200}, headers=heping_staff
    )
    assert_problem(park, 403)
    park_staff = demo_registry.as_staff("demo-park-xinhua")
    park = await demo_registry.client.get(
        BASE, params={"within": "demo-park-xinhua", "limit": 200}, headers=park_staff
    )
    assert member_id in [m["id"] for m in park.json()["items"]]


async def test_refused_transfers_change_nothing(demo_registry: Registry) -> None:
    secretary = await secretary_of(demo_registry, BRANCH)
    url = f"{BASE}/{secretary.member_id}/transfers"
    staff = demo_registry.as_staff(CHAOYANG)
    admin = demo_registry.as_admin()
    dissolved = await demo_registry.client.post(
        "/api/registry/organizations/demo-s-xinhua-heping-c2-b1-g1/dissolve",
        json={"reason": "合并"},
        headers=admin,
    )
    assert dissolved.status_code == 200
    before = await snapshot(demo_registry)
    good = {"to_org_id": HEPING_BRANCH, "reason": "居住地变更", "date": "2025-04-01"}
    refusals = [
        (staff, {**good, "to_org_id": "nope"}, 422, "to_org_id"),
        (staff, {**good, "to_org_id": "demo-s-xinhua-heping-c2-b1-g1"}, 422, "to_org_id"),
        (staff, {**good, "to_org_id": BRANCH}, 422, "to_org_id"),
        (staff, {**good, "date": "2999-01-01"}, 422, "date"),
        (staff, {**good, "date": "2020-13-01"}, 422, "date"),
        (staff, {**good, "reason": ""}, 422, "reason"),
        (demo_registry.as_staff("demo-s-xinhua-heping"), good, 403, None),
        (demo_registry.as_resident(), good, 403, None),
        # the secretary post started after this date: ending it then is impossible
        (staff, {**good, "date": "2000-01-01"}, 409, None),
    ]
    for headers, body, status, field in refusals:
        problem = assert_problem(
            await demo_registry.client.post(url, json=body, headers=headers), status
        )
        if field:
            assert field in [e["field"] for e in problem["errors"]], body
    assert await snapshot(demo_registry) == before
    member = (await demo_registry.client.get(f"{BASE}/{secretary.member_id}", headers=staff)).json()
    assert member["home_org_id"] == BRANCH
    history = await demo_registry.client.get(url, headers=staff)
    assert history.json()["items"] == []
    left = await demo_registry.client.post(
        f"{BASE}/{secretary.member_id}/leave",
        json={"left_on": "2025-05-01", "reason": "withdrawn"},
        headers=staff,
    )
    assert left.status_code == 200
    assert_problem(await demo_registry.client.post(url, json=good, headers=staff), 409)


async def test_services_look_a_member_up_by_user_others_may_not(demo_registry: Registry) -> None:
    service = demo_registry.keys.bearer(
        sub="svc-activity", kind="client", roles=["service"], scope="registry:read"
    )
    found = await demo_registry.client.get(f"{BASE}/by-user/demo-user-member-li", headers=service)
    assert found.status_code == 200, found.text
    assert found.json()["home_org_id"] == BRANCH
    assert found.json()["name"] == "李明"
    unknown = await demo_registry.client.get(f"{BASE}/by-user/nobody", headers=service)
    assert_problem(unknown, 404)
    member = demo_registry.keys.bearer(sub="someone", roles=["member"], scope="registry:read")
    refused = await demo_registry.client.get(f"{BASE}/by-user/demo-user-member-li", headers=member)
    assert_problem(refused, 403)
