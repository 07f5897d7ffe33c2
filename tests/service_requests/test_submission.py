"""Submission channels: the app, one tap, a phone call taken by staff, a third-party system;
routing from the registry (household, grid, community, street, volunteer teams); numbers;
duplicate hints."""

from __future__ import annotations

import re
from typing import Any

from tests.service_requests.conftest import (
    C1_GRID1,
    CHAOYANG,
    CHAOYANG_C1,
    HEPING_C1,
    HEPING_C1_GRID1,
    REQUESTS,
    RequestsApp,
)
from zhdj_service_requests.workdays import add_working_days
from zhdj_shared.clock import today_in_china


async def one_click(app: RequestsApp, preset: str = "repair", **extra: Any) -> dict[str, Any]:
    response = await app.client.post(
        f"{REQUESTS}/one-click", json={"preset": preset, **extra}, headers=app.resident()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"{REQUESTS}/{body['id']}"
    return body


async def test_one_click_fills_everything_from_the_registered_household(
    requests_app: RequestsApp,
) -> None:
    body = await one_click(requests_app, "repair", description="楼道灯坏了")
    assert body["item_id"] == "item-repair"
    assert body["channel"] == "one_click"
    assert body["channel_label"] == "一键式"
    assert body["status"] == "submitted"
    assert body["status_label"] == "已提交"
    assert body["community_id"] == CHAOYANG_C1
    assert body["grid_id"] == f"{CHAOYANG_C1}-grid1"
    assert body["handling_org_id"] == CHAOYANG_C1  # a community item
    assert body["resident_name"] == "张伟"
    assert body["personal_data_masked"] is False
    today = today_in_china()
    assert re.fullmatch(rf"SR{today:%Y%m%d}-\d{{6}}", body["number"])
    assert body["resolve_due_on"] == add_working_days(today, 3)[0].isoformat()
    assert body["suggested_team_ids"] == ["demo-vt-yangguang"]  # practical_skills post


async def test_one_click_location_elsewhere_routes_to_that_grid(
    requests_app: RequestsApp,
) -> None:
    lat, lng = HEPING_C1_GRID1
    body = await one_click(requests_app, "help", location={"lat": lat, "lng": lng})
    assert body["community_id"] == HEPING_C1
    assert body["title"] == "一键求助"


async def test_street_item_is_handled_by_the_street(requests_app: RequestsApp) -> None:
    response = await requests_app.client.post(
        REQUESTS,
        json={"item_id": "item-dibao", "description": "家庭收入低，申请低保"},
        headers=requests_app.resident(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["handling_org_id"] == CHAOYANG
    assert response.json()["channel"] == "app"


async def test_department_item_goes_to_the_street_with_its_department(
    requests_app: RequestsApp,
) -> None:
    response = await requests_app.client.post(
        REQUESTS,
        json={"item_id": "item-tax-01", "description": "企业研发费用加计扣除政策咨询"},
        headers=requests_app.resident(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["department_id"] == "dept-tax"
    assert body["handling_org_id"] == CHAOYANG
    # The tax bureau's promise: one-to-one consultation within 7 working days.
    assert body["resolve_due_on"] == add_working_days(today_in_china(), 7)[0].isoformat()


async def test_call_style_by_service_center_staff(requests_app: RequestsApp) -> None:
    staff = requests_app.staff(CHAOYANG)
    body = {
        "item_id": "item-home-care",
        "description": "独居老人来电，申请居家养老上门服务",
        "community_id": CHAOYANG_C1,
        "resident_name": "王秀英",
        "resident_phone": "13905310001",
    }
    response = await requests_app.client.post(REQUESTS, json=body, headers=staff)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["channel"] == "call"
    assert created["resident_phone"] == "13905310001"  # the handling staff see it
    # Without the caller's phone: 422; for another street's community: 403.
    no_phone = {k: v for k, v in body.items() if k != "resident_phone"}
    response = await requests_app.client.post(REQUESTS, json=no_phone, headers=staff)
    assert response.status_code == 422
    elsewhere = {**body, "community_id": HEPING_C1}
    response = await requests_app.client.post(REQUESTS, json=elsewhere, headers=staff)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_third_party_submits_with_its_own_credentials(requests_app: RequestsApp) -> None:
    lat, lng = C1_GRID1
    response = await requests_app.client.post(
        REQUESTS,
        json={
            "item_id": "item-urban-management-02",
            "description": "路灯不亮",
            "location": {"lat": lat, "lng": lng},
            "resident_name": "李四",
            "resident_phone": "13800000000",
        },
        headers=requests_app.third_party(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["channel"] == "third_party"
    assert body["community_id"] == CHAOYANG_C1
    assert body["personal_data_masked"] is True
    assert body["resident_phone"] == "138****0000"


async def test_unknown_item_and_nowhere_are_422(requests_app: RequestsApp) -> None:
    response = await requests_app.client.post(
        REQUESTS, json={"item_id": "nope", "description": "x"}, headers=requests_app.resident()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "item_id"
    response = await requests_app.client.post(
        f"{REQUESTS}/one-click",
        json={"preset": "repair"},
        headers=requests_app.resident(sub="user-without-household"),
    )
    assert response.status_code == 422


async def test_a_second_report_nearby_is_flagged_and_can_be_linked(
    requests_app: RequestsApp,
) -> None:
    lat, lng = C1_GRID1
    first = await one_click(requests_app, "repair", location={"lat": lat, "lng": lng})
    second = await one_click(
        requests_app, "repair", location={"lat": lat + 0.0005, "lng": lng + 0.0005}
    )
    assert first["possible_duplicate_of"] is None
    assert second["possible_duplicate_of"] == first["id"]
    staff = requests_app.staff(CHAOYANG)
    response = await requests_app.client.post(
        f"{REQUESTS}/{second['id']}/duplicate", json={"duplicate_of": first["id"]}, headers=staff
    )
    assert response.status_code == 200, response.text
    assert response.json()["duplicate_of"] == first["id"]
    # A resident cannot link.
    response = await requests_app.client.post(
        f"{REQUESTS}/{second['id']}/duplicate",
        json={"duplicate_of": first["id"]},
        headers=requests_app.resident(),
    )
    assert response.status_code == 403


async def test_numbers_increase_per_day(requests_app: RequestsApp) -> None:
    a = await one_click(requests_app, "consult")
    b = await one_click(requests_app, "consult")
    assert int(b["number"][-6:]) == int(a["number"][-6:]) + 1
