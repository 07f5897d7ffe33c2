"""Statistics: 三率 (response, resolution, satisfaction), on-time rate, handling time, volunteer
participation, by organization, category, department and month; services read them too."""

from __future__ import annotations

from tests.service_requests.conftest import BASE, CHAOYANG, CHAOYANG_C1, HEPING, RequestsApp
from tests.service_requests.test_workflow import walk_to
from zhdj_service_requests.workflow import Status

STATS = f"{BASE}/statistics"


async def test_three_rates_by_org(requests_app: RequestsApp) -> None:
    app = requests_app
    await walk_to(app, Status.CLOSED)  # rated 5
    await walk_to(app, Status.RESOLVED)
    await walk_to(app, Status.SUBMITTED)
    await walk_to(app, Status.CANCELLED)  # not counted
    response = await app.client.get(STATS, params={"group_by": "org"}, headers=app.service())
    assert response.status_code == 200, response.text
    body = response.json()
    overall = body["overall"]
    assert overall["total"] == 3
    assert overall["response_rate"] == round(2 / 3, 4)
    assert overall["resolution_rate"] == 1.0
    assert overall["satisfaction_rate"] == 1.0
    assert overall["on_time_rate"] == 1.0
    assert overall["volunteer_person_times"] == 4  # two resolved, 2 人次 each
    assert overall["average_handling_hours"] is not None
    assert [g["key"] for g in body["groups"]] == [CHAOYANG_C1]
    # Staff of another street see nothing of it; the street sees it; a month grouping works.
    other = await app.client.get(STATS, headers=app.staff(HEPING))
    assert other.json()["overall"]["total"] == 0
    by_month = await app.client.get(
        STATS, params={"group_by": "month", "within": CHAOYANG}, headers=app.staff(CHAOYANG)
    )
    assert by_month.status_code == 200, by_month.text
    assert len(by_month.json()["groups"]) == 1
    for group_by in ("category", "department", "community"):
        response = await app.client.get(STATS, params={"group_by": group_by}, headers=app.admin())
        assert response.status_code == 200, response.text
