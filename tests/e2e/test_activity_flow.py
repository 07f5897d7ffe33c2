"""An activity through the real platform: gateway → activity service → registry (with the
activity service's own client credentials), as the demo users would drive it.

The chaoyang street secretary plans a themed party day for branch c1-b1 (the roster comes from
the registry), links 李明's registry record to his gateway account, opens check-in; 李明 checks
in with the code once; the secretary uploads a photo and submits the record; the district's
staff approve it; the hash chain verifies and the compliance report counts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import RunningPlatform
from zhdj_activity.periods import china_day

pytestmark = pytest.mark.e2e

BRANCH = "demo-s-xinhua-chaoyang-c1-b1"
ACTIVITIES = "/api/activity/activities"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def gateway(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        yield client


def login(gateway: httpx.Client, platform: RunningPlatform, username: str) -> dict[str, str]:
    response = gateway.post(
        "/auth/token",
        data={"grant_type": "password", "username": username, "password": platform.demo_password},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _link_li(gateway: httpx.Client, secretary: dict[str, str], li: dict[str, str]) -> str:
    subject = gateway.get("/auth/me", headers=li).json()["subject"]
    found = gateway.get(
        "/api/registry/members",
        params={"home_org_id": BRANCH, "name": "李明"},
        headers=secretary,
    )
    assert found.status_code == 200, found.text
    member_id = str(found.json()["items"][0]["id"])
    linked = gateway.patch(
        f"/api/registry/members/{member_id}", json={"user_id": subject}, headers=secretary
    )
    assert linked.status_code == 200, linked.text
    return member_id


def test_plan_check_in_record_approve_verify(
    gateway: httpx.Client, platform: RunningPlatform
) -> None:
    secretary = login(gateway, platform, "chaoyang_secretary")
    district = login(gateway, platform, "xinhua_staff")
    li = login(gateway, platform, "member_li")
    member_id = _link_li(gateway, secretary, li)

    start = datetime.now(UTC) - timedelta(hours=2)
    created = gateway.post(
        ACTIVITIES,
        json={
            "type_code": "themed_party_day",
            "title": "重温入党誓词主题党日",
            "owner": {"kind": "org", "id": BRANCH},
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "location": "朝阳社区党群服务中心",
        },
        headers=secretary,
    )
    assert created.status_code == 201, created.text
    url = f"{ACTIVITIES}/{created.json()['id']}"
    roster = gateway.get(f"{url}/attendance", headers=secretary).json()
    assert member_id in {r["member_id"] for r in roster["items"]}

    refused = gateway.post(f"{url}/record", json={"minutes": "x"}, headers=li)
    assert refused.status_code == 403, refused.text

    code = gateway.post(f"{url}/checkin-code", headers=secretary).json()["code"]
    checked = gateway.post(f"{url}/checkins", json={"code": code}, headers=li)
    assert checked.status_code == 200, checked.text
    again = gateway.post(f"{url}/checkins", json={"code": code}, headers=li)
    assert again.status_code == 409, again.text

    photo = gateway.post(
        f"{url}/attachments", files={"file": ("合影.png", PNG, "image/png")}, headers=secretary
    )
    assert photo.status_code == 201, photo.text
    held = gateway.post(f"{url}/record", json={"minutes": "重温入党誓词。"}, headers=secretary)
    assert held.status_code == 200, held.text
    approved = gateway.post(f"{url}/approve", headers=district)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    verdict = gateway.get(f"{url}/events/verify", headers=district).json()
    assert verdict["intact"] is True
    assert verdict["events"] >= 6

    month = china_day(start).strftime("%Y-%m")  # the month the activity was held in
    report = gateway.get(
        f"/api/activity/compliance/organizations/{BRANCH}",
        params={"period": month, "detail": True},
        headers=district,
    )
    assert report.status_code == 200, report.text
    themed = [w for w in report.json()["windows"] if w["rule_code"] == "branch_themed_day"]
    assert any(w["held"] >= 1 for w in themed)
