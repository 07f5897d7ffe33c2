"""The workflow: the full happy path with its timeline, every illegal move refused with 409 and
nothing changed, dispatch / transfer / send back, reopen, cancel, extensions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import func, select

from tests.service_requests.conftest import CHAOYANG, CHAOYANG_C1, HEPING, REQUESTS, RequestsApp
from tests.service_requests.test_submission import one_click
from zhdj_service_requests.models import RequestEvent
from zhdj_service_requests.workdays import add_working_days
from zhdj_service_requests.workflow import TRANSITIONS, Action, Status

BODIES: dict[Action, dict[str, Any]] = {
    Action.CANCEL: {},
    Action.ACCEPT: {"note": "已受理"},
    Action.REJECT: {"reason": "不属于受理范围"},
    Action.DISPATCH: {"org_id": CHAOYANG_C1},
    Action.TRANSFER: {"department_id": "dept-urban-management"},
    Action.SEND_BACK: {"reason": "不属于本单位职责"},
    Action.START: {},
    Action.RESOLVE: {"result": "已更换灯泡", "volunteers": 2},
    Action.RATE: {"rating": 5, "comment": "很满意"},
    Action.REOPEN: {"reason": "问题没有解决"},
}
PATHS = {a: a.value.replace("_", "-") for a in Action}


async def move(
    app: RequestsApp, request_id: str, action: Action, headers: dict[str, str], **body: Any
) -> Any:
    return await app.client.post(
        f"{REQUESTS}/{request_id}/{PATHS[action]}",
        json=body or BODIES[action],
        headers=headers,
    )


def who(app: RequestsApp, action: Action) -> dict[str, str]:
    resident_moves = {Action.CANCEL, Action.RATE, Action.REOPEN}
    return app.resident() if action in resident_moves else app.staff(CHAOYANG)


async def walk_to(app: RequestsApp, status: Status) -> dict[str, Any]:
    """A fresh request driven to ``status`` through legal moves."""
    created = await one_click(app, "repair")
    rid = created["id"]
    route = {
        Status.SUBMITTED: [],
        Status.ACCEPTED: [Action.ACCEPT],
        Status.REJECTED: [Action.REJECT],
        Status.CANCELLED: [Action.CANCEL],
        Status.DISPATCHED: [Action.ACCEPT, Action.DISPATCH],
        Status.IN_PROGRESS: [Action.ACCEPT, Action.START],
        Status.RESOLVED: [Action.ACCEPT, Action.START, Action.RESOLVE],
        Status.CLOSED: [Action.ACCEPT, Action.START, Action.RESOLVE, Action.RATE],
        Status.REOPENED: [Action.ACCEPT, Action.START, Action.RESOLVE, Action.REOPEN],
    }[status]
    body = created
    for action in route:
        response = await move(app, rid, action, who(app, action))
        assert response.status_code == 200, (action, response.text)
        body = response.json()
    assert body["status"] == status.value
    return body


async def test_happy_path_with_timeline(requests_app: RequestsApp) -> None:
    app = requests_app
    created = await one_click(app, "repair", description="3号楼楼道灯不亮")
    rid, staff = created["id"], app.staff(CHAOYANG)
    for action in (Action.ACCEPT, Action.DISPATCH, Action.START, Action.RESOLVE):
        response = await move(app, rid, action, staff)
        assert response.status_code == 200, response.text
    response = await move(app, rid, Action.RATE, app.resident())
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == "closed"
    assert closed["rating"] == 5
    assert closed["allowed_actions"] == []
    detail = (await app.client.get(f"{REQUESTS}/{rid}", headers=app.resident())).json()
    assert [e["action"] for e in detail["timeline"]] == [
        "submit",
        "accept",
        "dispatch",
        "start",
        "resolve",
        "rate",
    ]
    assert detail["timeline"][1]["actor_name"] == "赵磊"
    assert detail["timeline"][1]["action_label"] == "受理"
    assert detail["timeline"][4]["data"] == {"result": "已更换灯泡", "volunteers": 2}


@pytest.mark.parametrize("status", list(Status))
async def test_every_illegal_move_is_refused_and_changes_nothing(
    requests_app: RequestsApp, status: Status
) -> None:
    app = requests_app
    before = await walk_to(app, status)
    rid = before["id"]
    illegal = [a for a, t in TRANSITIONS.items() if status not in t.sources and a != Action.CLOSE]
    assert illegal
    async with app.session() as session:
        events_before = (
            await session.exec(select(func.count()).where(RequestEvent.request_id == rid))
        ).one()
    for action in illegal:
        response = await move(app, rid, action, who(app, action))
        assert response.status_code == 409, (status, action, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    after = (await app.client.get(f"{REQUESTS}/{rid}", headers=app.staff(CHAOYANG))).json()
    assert after["status"] == before["status"]
    assert after["updated_at"] == before["updated_at"]
    assert len(after["timeline"]) == events_before


async def test_dispatch_transfer_send_back(requests_app: RequestsApp) -> None:
    app = requests_app
    accepted = await walk_to(app, Status.ACCEPTED)
    rid, street = accepted["id"], app.staff(CHAOYANG)
    # Handled by the community; the street dispatches to a volunteer team, then it is sent back.
    response = await move(app, rid, Action.DISPATCH, street, team_id="demo-vt-yangguang")
    assert response.json()["assigned_team_id"] == "demo-vt-yangguang"
    response = await move(app, rid, Action.TRANSFER, street, department_id="dept-urban-management")
    assert response.json()["assigned_department_id"] == "dept-urban-management"
    response = await move(app, rid, Action.SEND_BACK, street)
    assert response.json()["status"] == "accepted"
    # Outside one's subtree: 403; an unknown team: 422.
    response = await move(app, rid, Action.DISPATCH, street, org_id="demo-s-xinhua-heping-c1")
    assert response.status_code == 403
    response = await move(app, rid, Action.DISPATCH, street, team_id="no-such-team")
    assert response.status_code == 422
    # Two targets at once: 422.
    response = await move(app, rid, Action.DISPATCH, street, org_id=CHAOYANG_C1, team_id="x")
    assert response.status_code == 422


async def test_only_the_right_people_move_it(requests_app: RequestsApp) -> None:
    app = requests_app
    created = await one_click(app, "repair")
    rid = created["id"]
    other_street = app.staff(HEPING)
    response = await move(app, rid, Action.ACCEPT, other_street)
    assert response.status_code == 404  # not in their queue: it does not exist for them
    response = await move(app, rid, Action.ACCEPT, app.resident())
    assert response.status_code == 403
    response = await move(app, rid, Action.CANCEL, app.staff(CHAOYANG))
    assert response.status_code == 403
    response = await move(app, rid, Action.CANCEL, app.resident())
    assert response.json()["status"] == "cancelled"


async def test_reopen_sets_a_new_deadline(requests_app: RequestsApp) -> None:
    app = requests_app
    reopened = await walk_to(app, Status.REOPENED)
    assert reopened["reopen_count"] == 1
    assert reopened["result"] is None
    assert "start" in reopened["allowed_actions"]


async def test_extension_requested_by_handler_approved_by_supervisor(
    requests_app: RequestsApp,
) -> None:
    app = requests_app
    started = await walk_to(app, Status.IN_PROGRESS)
    rid = started["id"]
    community_staff = app.staff(CHAOYANG_C1, sub="community-staff")
    response = await app.client.post(
        f"{REQUESTS}/{rid}/extension",
        json={"days": 5, "reason": "需要等待配件"},
        headers=community_staff,
    )
    assert response.status_code == 200, response.text
    assert response.json()["extension_days_requested"] == 5
    # The handler cannot approve their own request; the street (above) can.
    response = await app.client.post(
        f"{REQUESTS}/{rid}/extension/decision", json={"approve": True}, headers=community_staff
    )
    assert response.status_code == 403
    response = await app.client.post(
        f"{REQUESTS}/{rid}/extension/decision", json={"approve": True}, headers=app.staff(CHAOYANG)
    )
    assert response.status_code == 200, response.text
    extended = response.json()
    due = add_working_days(date.fromisoformat(started["resolve_due_on"]), 5)
    assert extended["resolve_due_on"] == due[0].isoformat()
    assert extended["extensions_granted"] == 1
    assert extended["extension_days_requested"] is None
    response = await app.client.post(
        f"{REQUESTS}/{rid}/extension/decision", json={"approve": True}, headers=app.staff(CHAOYANG)
    )
    assert response.status_code == 409
