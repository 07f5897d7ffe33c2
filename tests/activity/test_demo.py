"""The demo history: loaded once, with valid chains, compliant and lagging organizations."""

from __future__ import annotations

from sqlmodel import col, select

from tests.activity.conftest import BASE, ActivityApp
from zhdj_activity.demo import load_demo
from zhdj_activity.models import Activity
from zhdj_activity.periods import parse_period
from zhdj_shared.clock import today_in_china

GOOD = "demo-s-xinhua-chaoyang-c1-b1"
BEHIND = "demo-s-dongcheng-jianshe-c2-b1"


async def test_demo_history_is_idempotent_chained_and_uneven(activity: ActivityApp) -> None:
    async with activity.session() as session:
        added = await load_demo(session)
        assert added > 1000
        assert await load_demo(session) == 0
        one = (
            await session.exec(
                select(Activity).where(
                    col(Activity.owner_id) == GOOD, col(Activity.status) == "approved"
                )
            )
        ).first()
    assert one is not None
    headers = activity.staff("demo-city")
    verdict = await activity.client.get(
        f"{BASE}/activities/{one.id}/events/verify", headers=headers
    )
    assert verdict.json()["intact"] is True
    assert verdict.json()["events"] == 3
    # The last full quarter before today: the diligent branch beats the lagging one.
    today = today_in_china()
    quarter = (today.month - 1) // 3 or 4
    year = today.year if quarter != 4 or today.month > 3 else today.year - 1
    period = f"{year}-Q{quarter}"
    assert parse_period(period).end < today
    rates = {}
    for org in (GOOD, BEHIND):
        response = await activity.client.get(
            f"{BASE}/compliance/organizations/{org}", params={"period": period}, headers=headers
        )
        assert response.status_code == 200, response.text
        rates[org] = response.json()["rate"]
    assert rates[GOOD] > rates[BEHIND]
    planned = await activity.client.get(
        f"{BASE}/organizations/{GOOD}/calendar.ics", headers=headers
    )
    assert planned.text.count("BEGIN:VEVENT") >= 1
