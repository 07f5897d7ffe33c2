"""Attendance (roster from the registry, one-time code check-in), the hash-chained log
(tampering detected), attachments (type, size, content-addressed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text, update
from sqlmodel import col, select

from tests.activity.conftest import (
    BASE,
    BRANCH,
    C1,
    OTHER_BRANCH,
    ActivityApp,
    assert_problem,
    serve_activity,
)
from tests.support.tokens import TestKeys
from zhdj_activity.models import Activity, ActivityEvent, Attendance
from zhdj_activity.models.base import BLOBS
from zhdj_shared.db import Database, utcnow
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.storage import DatabaseBlobStore

LI = "demo-user-member-li"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


async def _li_member_id(app: ActivityApp, activity_id: str) -> str:
    rows = (
        await app.client.get(f"{BASE}/activities/{activity_id}/attendance", headers=app.staff(C1))
    ).json()["items"]
    return next(r["member_id"] for r in rows if r["member_name"] == "李明")


async def test_roster_comes_from_the_registry_and_members_check_in_once(
    activity: ActivityApp,
) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{created['id']}"
    summary = (await activity.client.get(f"{url}/attendance", headers=activity.staff(C1))).json()
    assert summary["roster"] >= 4
    assert summary["present"] == 0
    assert "李明" in {r["member_name"] for r in summary["items"]}
    # no code issued yet: refused
    refused = await activity.client.post(
        f"{url}/checkins", json={"code": "ABCDEFGH"}, headers=activity.member_li()
    )
    assert_problem(refused, 422)
    issued = await activity.client.post(f"{url}/checkin-code", headers=activity.staff(BRANCH))
    assert issued.status_code == 200, issued.text
    code = issued.json()["code"]
    wrong = await activity.client.post(
        f"{url}/checkins", json={"code": "WRONGCODE"}, headers=activity.member_li()
    )
    assert_problem(wrong, 422)
    ok = await activity.client.post(
        f"{url}/checkins", json={"code": code.lower()}, headers=activity.member_li()
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "present"
    assert ok.json()["method"] == "code"
    twice = await activity.client.post(
        f"{url}/checkins", json={"code": code}, headers=activity.member_li()
    )
    assert_problem(twice, 409)
    summary = (await activity.client.get(f"{url}/attendance", headers=activity.staff(C1))).json()
    assert summary["present"] == 1
    assert summary["rate"] == round(1 / summary["roster"], 4)


async def test_members_not_on_the_roster_or_with_an_expired_code_are_refused(
    activity: ActivityApp,
) -> None:
    other = await activity.plan(
        activity.staff(OTHER_BRANCH), owner={"kind": "org", "id": OTHER_BRANCH}
    )
    url = f"{BASE}/activities/{other['id']}"
    code = (
        await activity.client.post(f"{url}/checkin-code", headers=activity.staff(OTHER_BRANCH))
    ).json()["code"]
    not_on_roster = await activity.client.post(
        f"{url}/checkins", json={"code": code}, headers=activity.member_li()
    )
    assert_problem(not_on_roster, 403)
    no_member = await activity.client.post(
        f"{url}/checkins",
        json={"code": code},
        headers=activity.keys.bearer(sub="nobody", roles=["member"]),
    )
    assert_problem(no_member, 403)

    mine = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{mine['id']}"
    code = (
        await activity.client.post(f"{url}/checkin-code", headers=activity.staff(BRANCH))
    ).json()["code"]
    async with activity.session() as session:
        await session.exec(
            update(Activity)
            .where(col(Activity.id) == mine["id"])
            .values(checkin_expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = await activity.client.post(
        f"{url}/checkins", json={"code": code}, headers=activity.member_li()
    )
    assert_problem(expired, 422)
    async with activity.session() as session:
        rows = (
            await session.exec(select(Attendance).where(col(Attendance.activity_id) == mine["id"]))
        ).all()
    assert all(r.status == "expected" for r in rows)


async def test_secretary_checks_in_and_records_leave(activity: ActivityApp) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{created['id']}"
    li = await _li_member_id(activity, created["id"])
    roster = (await activity.client.get(f"{url}/attendance", headers=activity.staff(C1))).json()
    others = [r["member_id"] for r in roster["items"] if r["member_id"] != li]
    checked = await activity.client.post(
        f"{url}/attendance/checkins",
        json={"member_ids": others[:2]},
        headers=activity.staff(BRANCH),
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["present"] == 2
    leave = await activity.client.post(
        f"{url}/attendance/leave",
        json={"member_id": li, "reason": "出差在外"},
        headers=activity.member_li(),
    )
    assert leave.status_code == 200, leave.text
    assert leave.json()["status_label"] == "请假"
    unknown = await activity.client.post(
        f"{url}/attendance/checkins",
        json={"member_ids": ["demo-m-unknown"]},
        headers=activity.staff(BRANCH),
    )
    assert_problem(unknown, 422)
    stranger = await activity.client.post(
        f"{url}/attendance/checkins",
        json={"member_ids": others[:1]},
        headers=activity.staff(OTHER_BRANCH),
    )
    assert_problem(stranger, 403)
    final = (await activity.client.get(f"{url}/attendance", headers=activity.staff(C1))).json()
    assert (final["present"], final["leave"]) == (2, 1)


async def test_the_chain_verifies_and_a_tampered_event_is_detected(activity: ActivityApp) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{created['id']}"
    staff = activity.staff(BRANCH)
    await activity.client.post(f"{url}/checkin-code", headers=staff)
    await activity.client.post(f"{url}/record", json={"minutes": "原始记录"}, headers=staff)
    verdict = (await activity.client.get(f"{url}/events/verify", headers=staff)).json()
    assert verdict == {
        "activity_id": created["id"],
        "events": 3,
        "intact": True,
        "first_broken_seq": None,
        "problem": None,
    }
    events = (await activity.client.get(f"{url}/events", headers=staff)).json()
    assert events[0]["prev_hash"] == "0" * 64
    assert events[1]["prev_hash"] == events[0]["hash"]
    # Someone edits the submitted minutes directly in the database.
    async with activity.session() as session:
        await session.exec(
            update(ActivityEvent)
            .where(col(ActivityEvent.activity_id) == created["id"], col(ActivityEvent.seq) == 3)
            .values(payload={"minutes": "篡改后的记录", "decisions": [], "held_on": "2026-03-05"})
        )
    verdict = (await activity.client.get(f"{url}/events/verify", headers=staff)).json()
    assert verdict["intact"] is False
    assert verdict["first_broken_seq"] == 3
    # Deleting an event in the middle breaks the link at that point too.
    async with activity.session() as session:
        await session.exec(
            text("DELETE FROM activity_events WHERE activity_id = :a AND seq = 2"),
            params={"a": created["id"]},
        )
    verdict = (await activity.client.get(f"{url}/events/verify", headers=staff)).json()
    assert verdict["first_broken_seq"] == 2


async def test_attachments_are_validated_and_content_addressed(activity: ActivityApp) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{created['id']}/attachments"
    staff = activity.staff(BRANCH)
    photo = await activity.client.post(
        url, files={"file": ("现场照片.png", PNG, "image/png")}, headers=staff
    )
    assert photo.status_code == 201, photo.text
    body = photo.json()
    assert body["filename"] == "现场照片.png"
    assert body["content_type"] == "image/png"
    assert await activity.blobs.exists(body["sha256"])
    same = await activity.client.post(
        url, files={"file": ("copy.png", PNG, "image/png")}, headers=staff
    )
    assert same.json()["sha256"] == body["sha256"]
    pdf = await activity.client.post(
        url, files={"file": ("minutes.pdf", PDF, "application/pdf")}, headers=staff
    )
    assert pdf.status_code == 201
    exe = await activity.client.post(
        url, files={"file": ("x.png", b"MZ\x90\x00evil", "image/png")}, headers=staff
    )
    assert_problem(exe, 422)
    liar = await activity.client.post(
        url, files={"file": ("x.jpg", PNG, "image/jpeg")}, headers=staff
    )
    assert_problem(liar, 422)
    stranger = await activity.client.post(
        url, files={"file": ("x.png", PNG, "image/png")}, headers=activity.staff(OTHER_BRANCH)
    )
    assert_problem(stranger, 403)
    listed = (await activity.client.get(url, headers=staff)).json()
    assert len(listed) == 3
    content = await activity.client.get(f"{url}/{body['id']}/content", headers=staff)
    assert content.content == PNG
    assert content.headers["content-type"] == "image/png"
    events = (
        await activity.client.get(f"{BASE}/activities/{created['id']}/events", headers=staff)
    ).json()
    assert [e["kind"] for e in events].count("attachments_added") == 3


async def test_batch_upload_stores_all_or_nothing(activity: ActivityApp) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{created['id']}/attachments"
    staff = activity.staff(BRANCH)
    photos = [("file", (f"照片{i}.png", PNG + bytes([i]), "image/png")) for i in range(5)]
    batch = await activity.client.post(f"{url}/batch", files=photos, headers=staff)
    assert batch.status_code == 201, batch.text
    assert len({a["sha256"] for a in batch.json()}) == 5
    bad = [*photos[:2], ("file", ("x.png", b"not an image", "image/png"))]
    refused = await activity.client.post(f"{url}/batch", files=bad, headers=staff)
    assert_problem(refused, 422)
    assert len((await activity.client.get(url, headers=staff)).json()) == 5
    events = (
        await activity.client.get(f"{BASE}/activities/{created['id']}/events", headers=staff)
    ).json()
    assert len(events[-1]["payload"]["attachments"]) == 5


async def test_oversized_attachment_is_413(activity: ActivityApp) -> None:
    created = await activity.plan(activity.staff(BRANCH))
    url = f"{BASE}/activities/{created['id']}/attachments"
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    response = await activity.client.post(
        url, files={"file": ("big.png", big, "image/png")}, headers=activity.staff(BRANCH)
    )
    assert_problem(response, 413)


async def test_attachments_kept_in_the_database_are_served_from_it(
    activity_database: Database,
    keys: TestKeys,
    demo_registry_client: RegistryClient,
    tmp_path: Path,
) -> None:
    """ZHDJ_ACTIVITY_STORAGE_URL=database (several replicas): the bytes are rows of the
    service's own database, written in the upload's own transaction; nothing on disk."""
    store = DatabaseBlobStore(activity_database, BLOBS)
    async with serve_activity(
        activity_database, keys, demo_registry_client, tmp_path / "disk", blobs=store
    ) as app:
        created = await app.plan(app.staff(BRANCH))
        url = f"{BASE}/activities/{created['id']}/attachments"
        staff = app.staff(BRANCH)
        photos = [("file", (f"照片{i}.png", PNG + bytes([i]), "image/png")) for i in range(3)]
        batch = await app.client.post(f"{url}/batch", files=photos, headers=staff)
        assert batch.status_code == 201, batch.text
        first = batch.json()[0]
        content = await app.client.get(f"{url}/{first['id']}/content", headers=staff)
        assert content.content == PNG + bytes([0])
        async with app.session() as session:
            keys_stored = (await session.exec(select(BLOBS.c.key))).all()  # type: ignore[call-overload]
        assert {a["sha256"] for a in batch.json()} <= set(keys_stored)
    assert not (tmp_path / "disk").exists()
