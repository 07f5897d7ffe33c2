"""Batch reads of the registry (docs/decisions/0008-batch-reads.md): every item equals what the
single reads answer for the same ids on the demo city; limits, duplicates, unknown ids, bad
bodies and refusals; the number of SQL statements does not grow with the batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.registry.conftest import Registry
from zhdj_shared.clock import today_in_china

ALLIANCES = "/api/registry/lookups/alliances"
ORGANIZATIONS = "/api/registry/lookups/organizations"
STATISTICS = "/api/registry/statistics"


async def ok(registry: Registry, method: str, path: str, **kw: Any) -> Any:
    kw.setdefault("headers", registry.as_admin())
    response = await registry.client.request(method, path, **kw)
    assert response.status_code == 200, response.text
    return response.json()


async def all_pages(registry: Registry, path: str, params: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        body = await ok(registry, "GET", path, params=query)
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


@contextmanager
def counted_statements(registry: Registry) -> Iterator[list[str]]:
    """The SQL statements the app runs on the test's connection meanwhile."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    target = registry.db.connection.sync_connection
    event.listen(target, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", before)


@pytest.mark.parametrize("on", ["2024-03-31", None])
async def test_alliance_lookups_equal_the_single_reads(
    demo_registry: Registry, on: str | None
) -> None:
    """Every demo alliance (dissolved included): the alliance as GET /alliances/{id}, the lead's
    ancestry as GET /organizations/{id}/ancestry, the members as GET /alliances/{id}/members?on=
    and each one's secretary as GET /positions?org_id=&kind=secretary&at= on the same date."""
    alliances = await all_pages(demo_registry, "/api/registry/alliances", {})
    ids = [a["id"] for a in alliances]
    assert len(ids) >= 10
    body = await ok(
        demo_registry,
        "POST",
        ALLIANCES,
        json={"ids": ids, **({"on": on} if on else {})},
        headers=demo_registry.as_resident(),  # registry:read, like the single reads
    )
    day = on or today_in_china().isoformat()
    assert (body["on"], body["missing"]) == (day, [])
    assert [i["alliance"]["id"] for i in body["items"]] == ids
    with_secretary = without = 0
    for item in body["items"]:
        alliance_id = item["alliance"]["id"]
        single = await ok(demo_registry, "GET", f"/api/registry/alliances/{alliance_id}")
        assert item["alliance"] == single
        lead = single["lead_org_id"]
        ancestry = await ok(demo_registry, "GET", f"/api/registry/organizations/{lead}/ancestry")
        assert item["lead_ancestry"] == ancestry["ancestor_ids"]
        members = await all_pages(
            demo_registry, f"/api/registry/alliances/{alliance_id}/members", {"on": day}
        )
        expected = []
        for m in members:
            positions = await all_pages(
                demo_registry,
                "/api/registry/positions",
                {"org_id": m["org_id"], "kind": "secretary", "at": day},
            )
            secretary = (
                {"member_id": positions[-1]["member_id"], "name": positions[-1]["member_name"]}
                if positions
                else None
            )
            with_secretary += secretary is not None
            without += secretary is None
            expected.append(
                {
                    "org_id": m["org_id"],
                    "org_name": m["org_name"],
                    "org_kind": m["org_kind"],
                    "org_kind_label": m["org_kind_label"],
                    "joined_on": m["joined_on"],
                    "secretary": secretary,
                }
            )
        assert item["members"] == expected
    assert with_secretary > 0  # the comparison covers both answers
    if on:
        assert without > 0  # in early 2024 some secretaries were not yet appointed


async def test_alliance_lookups_keep_order_answer_duplicates_once_and_list_unknown_ids(
    demo_registry: Registry,
) -> None:
    ids = ["demo-a-park-xinhua", "不存在的联合体", "demo-a-chaoyang-hnd", "demo-a-park-xinhua"]
    body = await ok(demo_registry, "POST", ALLIANCES, json={"ids": ids})
    assert [i["alliance"]["id"] for i in body["items"]] == [
        "demo-a-park-xinhua",
        "demo-a-chaoyang-hnd",
    ]
    assert body["missing"] == ["不存在的联合体"]
    empty = await ok(demo_registry, "POST", ALLIANCES, json={"ids": []})
    assert (empty["items"], empty["missing"]) == ([], [])
    # ids with characters a path could not carry are just unknown
    odd = await ok(demo_registry, "POST", ALLIANCES, json={"ids": ["a/b", "?x#y", "%2F"]})
    assert odd["missing"] == ["a/b", "?x#y", "%2F"]


async def test_a_lookup_is_a_fixed_number_of_statements_whatever_its_size(
    demo_registry: Registry,
) -> None:
    alliances = await all_pages(demo_registry, "/api/registry/alliances", {})
    with counted_statements(demo_registry) as one:
        await ok(demo_registry, "POST", ALLIANCES, json={"ids": [alliances[0]["id"]]})
    with counted_statements(demo_registry) as many:
        await ok(demo_registry, "POST", ALLIANCES, json={"ids": [a["id"] for a in alliances]})
    assert len(many) == len(one) == 7, many  # alliances, 3 facts, leads, members, secretaries


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [f"a{i}" for i in range(201)]}, "ids"),
        ({"ids": "demo-a-park-xinhua"}, "ids"),
        ({"ids": [""]}, "ids.0"),
        ({"ids": ["x" * 65]}, "ids.0"),
        ({"ids": [1]}, "ids.0"),
        ({"ids": [], "on": "2026-13-01"}, "on"),
        ({"ids": [], "extra": True}, "extra"),
        ({}, "ids"),
    ],
)
async def test_bad_lookup_bodies_are_422_naming_the_field(
    demo_registry: Registry, body: dict[str, Any], field: str
) -> None:
    for path in (ALLIANCES, ORGANIZATIONS):
        if "on" in body and path == ORGANIZATIONS:
            continue
        problem = assert_problem(
            await demo_registry.client.post(path, json=body, headers=demo_registry.as_admin()),
            422,
        )
        assert field in [e["field"] for e in problem["errors"]], problem
    not_json = await demo_registry.client.post(
        ALLIANCES, content=b"ids=1", headers=demo_registry.as_admin()
    )
    assert_problem(not_json, 422)


async def test_lookups_need_registry_read(demo_registry: Registry) -> None:
    body = {"ids": ["demo-a-park-xinhua"]}
    for path in (ALLIANCES, ORGANIZATIONS, f"{STATISTICS}/batch"):
        payload = body if path != f"{STATISTICS}/batch" else {"within": ["demo-d-xinhua"]}
        assert_problem(await demo_registry.client.post(path, json=payload), 401)
        no_scope = demo_registry.keys.bearer(sub="u", roles=["member"], scope="activity:read")
        assert_problem(await demo_registry.client.post(path, json=payload, headers=no_scope), 403)
        resident = await demo_registry.client.post(
            path, json=payload, headers=demo_registry.as_resident()
        )
        assert resident.status_code == 200, resident.text


async def test_organization_lookups_equal_the_single_reads(demo_registry: Registry) -> None:
    orgs = await all_pages(
        demo_registry, "/api/registry/organizations", {"within": "demo-d-xinhua"}
    )
    ids = [o["id"] for o in orgs[:150]] + ["没有这个组织"]
    body = await ok(demo_registry, "POST", ORGANIZATIONS, json={"ids": ids + ids[:3]})
    assert body["missing"] == ["没有这个组织"]
    assert [o["id"] for o in body["items"]] == ids[:-1]
    for item in body["items"][:40]:
        assert item == await ok(demo_registry, "GET", f"/api/registry/organizations/{item['id']}")


async def test_a_dissolved_organization_is_looked_up_as_the_single_read_shows_it(
    demo_registry: Registry,
) -> None:
    created = await demo_registry.client.post(
        "/api/registry/organizations",
        json={
            "name": "临时党支部",
            "kind": "branch",
            "sector": "community",
            "parent_id": "demo-d-xinhua",
        },
        headers=demo_registry.as_admin(),
    )
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    dissolved = await demo_registry.client.post(
        f"/api/registry/organizations/{org_id}/dissolve",
        json={"reason": "任务完成，撤销支部"},
        headers=demo_registry.as_admin(),
    )
    assert dissolved.status_code == 200, dissolved.text
    body = await ok(demo_registry, "POST", ORGANIZATIONS, json={"ids": [org_id]})
    assert body["items"] == [
        await ok(demo_registry, "GET", f"/api/registry/organizations/{org_id}")
    ]
    assert body["items"][0]["status"] == "dissolved"


@pytest.mark.parametrize("on", ["2025-12-31", None])
async def test_statistics_batch_items_equal_the_single_figures(
    demo_registry: Registry, on: str | None
) -> None:
    within = [
        "demo-d-xinhua",
        "demo-s-xinhua-chaoyang",
        "demo-d-qinghe",
        "demo-s-xinhua-chaoyang-c1",
        "demo-s-xinhua-chaoyang",  # a duplicate: answered once
        "unknown-org",
    ]
    body = await ok(
        demo_registry,
        "POST",
        f"{STATISTICS}/batch",
        json={"within": within, **({"on": on} if on else {})},
    )
    day = on or today_in_china().isoformat()
    assert (body["on"], body["missing"]) == (day, ["unknown-org"])
    assert [i["scope"]["org_id"] for i in body["items"]] == within[:4]
    for item, scope in zip(body["items"], within[:4], strict=True):
        single = await ok(demo_registry, "GET", STATISTICS, params={"within": scope, "on": day})
        assert item == single
    assert body["items"][0]["organizations"]["total"] > 0


async def test_statistics_batch_authorization_is_the_single_reads(demo_registry: Registry) -> None:
    """Registry figures are aggregates any registry:read principal reads for any scope (the
    single GET /statistics refuses nobody): staff of 新华区 get 清河区's figures from both."""
    staff = demo_registry.as_staff("demo-d-xinhua")
    single = await demo_registry.client.get(
        STATISTICS, params={"within": "demo-d-qinghe"}, headers=staff
    )
    batch = await demo_registry.client.post(
        f"{STATISTICS}/batch", json={"within": ["demo-d-qinghe"]}, headers=staff
    )
    assert (single.status_code, batch.status_code) == (200, 200)
    assert batch.json()["items"] == [single.json()]
    too_many = {"within": [f"o{i}" for i in range(201)]}
    problem = assert_problem(
        await demo_registry.client.post(f"{STATISTICS}/batch", json=too_many, headers=staff), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["within"]
    empty = await ok(demo_registry, "POST", f"{STATISTICS}/batch", json={"within": []})
    assert (empty["items"], empty["missing"]) == ([], [])
