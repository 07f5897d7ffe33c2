"""An assessment through the real platform: the demo assessor opens a cycle on the seeded
融合党建工作标准体系; the assessment service reads the registry, activity and service-requests
statistics through the gateway with its own client credentials; the assessor scores the manual
indicators, finalizes and publishes; the lead street's secretary sees her own result only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import RunningPlatform
from zhdj_assessment.defaults import DEFAULT_SYSTEM_ID
from zhdj_shared.clock import today_in_china

pytestmark = pytest.mark.e2e

BASE = "/api/assessment"
HND = "demo-a-chaoyang-hnd"  # led by 朝阳街道
PARK = "demo-a-park-xinhua"


@pytest.fixture(scope="module")
def gateway(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=60) as client:
        yield client


def login(gateway: httpx.Client, platform: RunningPlatform, username: str) -> dict[str, str]:
    response = gateway.post(
        "/auth/token",
        data={"grant_type": "password", "username": username, "password": platform.demo_password},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_open_score_finalize_publish_and_read_own_result(
    gateway: httpx.Client, platform: RunningPlatform
) -> None:
    assessor = login(gateway, platform, "assessor")
    secretary = login(gateway, platform, "chaoyang_secretary")
    year = today_in_china().year
    created = gateway.post(
        f"{BASE}/cycles",
        headers=assessor,
        json={
            "name": f"{year} 年度考核",
            "system_id": DEFAULT_SYSTEM_ID,
            "year": year,
            "target_ids": [HND, PARK],
        },
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    opened = gateway.post(f"{BASE}/cycles/{cid}/open", headers=assessor)
    assert opened.status_code == 200, opened.text
    detail = gateway.get(f"{BASE}/cycles/{cid}/targets/{HND}", headers=assessor).json()
    assert detail["result"]["unavailable_sources"] == [], detail["result"]
    autos = [i for d in detail["dimensions"] for i in d["indicators"] if i["kind"] == "auto"]
    assert {i["status"] for i in autos} <= {"scored", "no_data"}
    sources = {i["evidence"]["source"] for i in autos}
    assert sources == {"registry", "activity", "service-requests"}
    system = gateway.get(f"{BASE}/systems/{DEFAULT_SYSTEM_ID}", headers=assessor).json()
    manual = [i for d in system["dimensions"] for i in d["indicators"] if i["kind"] == "manual"]
    for target in (HND, PARK):
        for ind in manual:
            scored = gateway.put(
                f"{BASE}/cycles/{cid}/targets/{target}/scores/{ind['id']}",
                headers=assessor,
                json={"score": ind["max_score"], "note": "材料齐全"},
            )
            assert scored.status_code == 200, scored.text
    for action in ("finalize", "publish"):
        moved = gateway.post(f"{BASE}/cycles/{cid}/{action}", headers=assessor)
        assert moved.status_code == 200, moved.text
    own = gateway.get(f"{BASE}/cycles/{cid}/targets/{HND}", headers=secretary)
    assert own.status_code == 200, own.text
    assert own.json()["result"]["status"] == "complete"
    assert own.json()["result"]["rank"] in (1, 2)
    other = gateway.get(f"{BASE}/cycles/{cid}/targets/{PARK}", headers=secretary)
    assert other.status_code == 403, other.text
    # the rectification list reaches the registry with the service's own credentials
    results = gateway.get(f"{BASE}/cycles/{cid}/results", headers=assessor).json()
    applied = gateway.post(f"{BASE}/cycles/{cid}/rectification", headers=assessor)
    assert applied.status_code == 200, applied.text
    assert [r["target_id"] for r in applied.json()] == results["rectification"]
    assert {r["outcome"] for r in applied.json()} <= {"set"}
    for target in results["rectification"]:
        alliance = gateway.get(f"/api/registry/alliances/{target}", headers=assessor).json()
        assert alliance["status"] == "under_rectification"


def test_the_city_report_reads_every_service_through_the_gateway(
    gateway: httpx.Client, platform: RunningPlatform
) -> None:
    assessor = login(gateway, platform, "assessor")
    year = today_in_china().year
    report = gateway.get(f"{BASE}/reports/city", params={"period": year}, headers=assessor)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["figures"]["unavailable_sources"] == []
    assert body["figures"]["alliances"] > 0
    assert body["markdown"].startswith(f"# {year}年全市融合党建工作情况")
