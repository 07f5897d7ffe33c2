"""The moves log: one line per move, in the move's own unit of work, read by services only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.registry.conftest import Registry
from tests.registry.test_organizations import assert_problem

BASE = "/api/registry/organizations"
MOVES = f"{BASE}/moves"
CHAOYANG_C2 = "demo-s-xinhua-chaoyang-c2"
CHAOYANG = "demo-s-xinhua-chaoyang"
HEPING = "demo-s-xinhua-heping"
XINHUA = "demo-d-xinhua"


def service(registry: Registry) -> dict[str, str]:
    return registry.keys.bearer(
        sub="svc-service-requests",
        kind="client",
        client_id="svc-service-requests",
        roles=["service"],
        scope="registry:read",
    )


async def move(registry: Registry, org_id: str, parent_id: str) -> Any:
    return await registry.client.post(
        f"{BASE}/{org_id}/move",
        json={"parent_id": parent_id},
        headers=registry.as_staff(XINHUA),
    )


async def log(registry: Registry, **params: Any) -> dict[str, Any]:
    response = await registry.client.get(MOVES, params=params, headers=service(registry))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_each_move_is_a_line_with_its_old_and_new_path(demo_registry: Registry) -> None:
    assert (await log(demo_registry))["items"] == []
    response = await move(demo_registry, CHAOYANG_C2, HEPING)
    assert response.status_code == 200, response.text
    same_parent = await move(demo_registry, CHAOYANG_C2, HEPING)  # answered unchanged
    assert same_parent.status_code == 200
    refused = await move(demo_registry, HEPING, CHAOYANG_C2)  # 和平 under its own community
    assert_problem(refused, 409)  # refused moves are not logged either

    body = await log(demo_registry)
    (line,) = body["items"]
    assert line["seq"] == 1
    assert line["organization_id"] == CHAOYANG_C2
    assert line["old_path"] == f"/demo-city/{XINHUA}/{CHAOYANG}/{CHAOYANG_C2}/"
    assert line["new_path"] == f"/demo-city/{XINHUA}/{HEPING}/{CHAOYANG_C2}/"
    assert body["next"] == 1
    assert body["more"] is False


async def test_the_log_pages_in_order_from_a_cursor(demo_registry: Registry) -> None:
    for parent in (HEPING, CHAOYANG, HEPING):
        assert (await move(demo_registry, CHAOYANG_C2, parent)).status_code == 200
    first = await log(demo_registry, limit=2)
    assert [m["seq"] for m in first["items"]] == [1, 2]
    assert first["more"] is True
    rest = await log(demo_registry, after=first["next"], limit=2)
    assert [m["seq"] for m in rest["items"]] == [3]
    assert rest["items"][0]["new_path"].endswith(f"/{HEPING}/{CHAOYANG_C2}/")
    assert rest["more"] is False
    caught_up = await log(demo_registry, after=rest["next"])
    assert caught_up == {"items": [], "next": 3, "more": False}
    assert_problem(
        await demo_registry.client.get(MOVES, params={"after": -1}, headers=service(demo_registry)),
        422,
    )


async def test_a_move_whose_log_line_fails_did_not_happen(demo_registry: Registry) -> None:
    """The line is written in the move's unit of work: when it cannot be stored, the subtree's
    paths are not rewritten either (a follower never misses a move that happened)."""
    async with demo_registry.session() as session:
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            await session.exec(
                text(  # type: ignore[call-overload]
                    "CREATE FUNCTION refuse_move() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'log refused' USING ERRCODE = 'check_violation'; END $$"
                )
            )
            await session.exec(
                text(  # type: ignore[call-overload]
                    "CREATE TRIGGER refuse_move BEFORE INSERT ON organization_moves "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_move()"
                )
            )
        else:
            await session.exec(
                text(  # type: ignore[call-overload]
                    "CREATE TRIGGER refuse_move BEFORE INSERT ON organization_moves "
                    "BEGIN SELECT RAISE(ABORT, 'log refused'); END"
                )
            )
        await session.commit()
    response = await move(demo_registry, CHAOYANG_C2, HEPING)
    assert_problem(response, 409)
    org = await demo_registry.client.get(f"{BASE}/{CHAOYANG_C2}", headers=service(demo_registry))
    assert org.json()["parent_id"] == CHAOYANG
    branch = await demo_registry.client.get(
        f"{BASE}/{CHAOYANG_C2}-b1/ancestry", headers=service(demo_registry)
    )
    assert CHAOYANG in branch.json()["ancestor_ids"]
    assert (await log(demo_registry))["items"] == []


async def test_only_platform_services_and_administrators_read_the_log(
    demo_registry: Registry,
) -> None:
    assert (await move(demo_registry, CHAOYANG_C2, HEPING)).status_code == 200
    admin = await demo_registry.client.get(MOVES, headers=demo_registry.as_admin())
    assert admin.status_code == 200
    assert len(admin.json()["items"]) == 1
    third_party = demo_registry.keys.bearer(
        sub="tp-1", kind="client", client_id="tp-1", roles=["third_party"], scope="registry:read"
    )
    a_user_calling_itself_a_service = demo_registry.keys.bearer(
        sub="u-1", roles=["service"], scope="registry:read"
    )
    for headers in (
        demo_registry.as_staff(XINHUA),  # staff of the organizations that moved: still no
        demo_registry.as_resident(),
        third_party,
        a_user_calling_itself_a_service,
    ):
        assert_problem(await demo_registry.client.get(MOVES, headers=headers), 403)
    without_scope = demo_registry.keys.bearer(
        sub="svc-x", kind="client", client_id="svc-x", roles=["service"], scope="activity:read"
    )
    assert_problem(await demo_registry.client.get(MOVES, headers=without_scope), 403)
    assert_problem(await demo_registry.client.get(MOVES), 401)
