"""Who sees what: a resident only their own requests; staff only their subtree's queue; a
third-party client only what its scopes allow and what it submitted; a platform service every
request, masked; residents' personal data masked for all but the resident and handling staff."""

from __future__ import annotations

from typing import Any

from tests.service_requests.conftest import (
    C1_GRID1,
    CHAOYANG,
    CHAOYANG_C1,
    CHAOYANG_C2,
    HEPING,
    REQUESTS,
    XINHUA,
    RequestsApp,
)
from tests.service_requests.test_submission import one_click


async def ids(app: RequestsApp, headers: dict[str, str], path: str = "", **params: Any) -> set[str]:
    response = await app.client.get(f"{REQUESTS}{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {r["id"] for r in response.json()["items"]}


async def call_for(app: RequestsApp, community: str, street: str) -> dict[str, Any]:
    response = await app.client.post(
        REQUESTS,
        json={
            "item_id": "item-consult",
            "description": "来电咨询政策",
            "community_id": community,
            "resident_name": "刘桂兰",
            "resident_phone": "13912345678",
        },
        headers=app.staff(street),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_resident_sees_only_their_own(requests_app: RequestsApp) -> None:
    app = requests_app
    mine = await one_click(app, "repair")
    theirs = await call_for(app, CHAOYANG_C2, CHAOYANG)
    assert await ids(app, app.resident()) == {mine["id"]}
    response = await app.client.get(f"{REQUESTS}/{theirs['id']}", headers=app.resident())
    assert response.status_code == 404
    other = app.resident(sub="someone-else", name="李四")
    assert await ids(app, other) == set()


async def test_staff_see_only_their_subtree(requests_app: RequestsApp) -> None:
    app = requests_app
    c1 = await one_click(app, "repair")  # handled by 阳光社区 (chaoyang-c1)
    c2 = await call_for(app, CHAOYANG_C2, CHAOYANG)
    heping = await call_for(app, "demo-s-xinhua-heping-c1", HEPING)
    assert await ids(app, app.staff(CHAOYANG), "/queue") == {c1["id"], c2["id"]}
    assert await ids(app, app.staff(CHAOYANG_C1), "/queue") == {c1["id"]}
    assert await ids(app, app.staff(HEPING), "/queue") == {heping["id"]}
    assert await ids(app, app.staff(XINHUA), "/queue") == {c1["id"], c2["id"], heping["id"]}
    assert await ids(app, app.staff(XINHUA), within=CHAOYANG_C2) == {c2["id"]}
    response = await app.client.get(
        REQUESTS, params={"within": XINHUA}, headers=app.staff(CHAOYANG)
    )
    assert response.status_code == 403


async def test_personal_data_is_masked_for_everyone_but_resident_and_handlers(
    requests_app: RequestsApp,
) -> None:
    app = requests_app
    created = await call_for(app, CHAOYANG_C1, CHAOYANG)
    rid = created["id"]
    assert created["resident_phone"] == "13912345678"

    async def seen_by(headers: dict[str, str]) -> dict[str, Any]:
        response = await app.client.get(f"{REQUESTS}/{rid}", headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    handler = await seen_by(app.staff(CHAOYANG_C1))
    assert (handler["resident_name"], handler["personal_data_masked"]) == ("刘桂兰", False)
    service = await seen_by(app.service())
    assert service["personal_data_masked"] is True
    assert service["resident_name"] == "刘**"
    assert service["resident_phone"] == "139****5678"


async def test_third_party_sees_what_it_submitted_within_its_scopes(
    requests_app: RequestsApp,
) -> None:
    app = requests_app
    lat, lng = C1_GRID1
    body = {
        "item_id": "item-repair",
        "description": "小区路面塌陷",
        "location": {"lat": lat, "lng": lng},
        "resident_name": "王五",
        "resident_phone": "13700001111",
    }
    response = await app.client.post(REQUESTS, json=body, headers=app.third_party("tp-a"))
    assert response.status_code == 201, response.text
    submitted = response.json()
    await one_click(app, "repair")
    assert await ids(app, app.third_party("tp-a")) == {submitted["id"]}
    assert await ids(app, app.third_party("tp-b")) == set()
    response = await app.client.get(
        f"{REQUESTS}/{submitted['id']}", headers=app.third_party("tp-b")
    )
    assert response.status_code == 404
    # Read-only credentials cannot submit; write-only cannot read.
    read_only = app.third_party("tp-a", scope="requests:read")
    response = await app.client.post(REQUESTS, json=body, headers=read_only)
    assert response.status_code == 403
    write_only = app.third_party("tp-a", scope="requests:write")
    response = await app.client.get(REQUESTS, headers=write_only)
    assert response.status_code == 403
    # And a third party never moves a request.
    response = await app.client.post(
        f"{REQUESTS}/{submitted['id']}/accept", json={}, headers=app.third_party("tp-a")
    )
    assert response.status_code == 403


async def test_anonymous_is_401(requests_app: RequestsApp) -> None:
    response = await requests_app.client.get(REQUESTS)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
