"""Attendance: the roster (from the registry at creation), check-in and leave.

A member checks in with the short-lived code the QR code on the wall carries; the code is
stored only as a hash, expires after a few minutes, and each member checks in once (409 on a
second try). Staff may check members in directly (签到 by the secretary) or record a leave
(请假) with a reason.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from zhdj_activity import registry as reg
from zhdj_activity.models import Activity, Attendance
from zhdj_activity.repositories.activities import ActivityRepository
from zhdj_activity.services.access import require_manager
from zhdj_activity.services.activities import ActivityService, invalid
from zhdj_activity.services.events import append_event
from zhdj_activity.vocabulary import ActivityStatus, AttendanceStatus, CheckinMethod
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, Forbidden
from zhdj_shared.security.authz import Principal

# Without look-alikes (0/O, 1/I/L): people type it when the camera fails.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
OPEN_STATUSES = frozenset({ActivityStatus.PLANNED, ActivityStatus.HELD, ActivityStatus.RETURNED})


def code_hash(activity_id: str, code: str) -> str:
    return hashlib.sha256(f"{activity_id}:{code.upper()}".encode()).hexdigest()


@dataclass(frozen=True)
class Summary:
    roster: int
    present: int
    leave: int
    absent: int
    rows: list[Attendance]

    @property
    def rate(self) -> float | None:
        return round(self.present / self.roster, 4) if self.roster else None


class AttendanceService:
    def __init__(self, activities: ActivityService, *, code_minutes: int) -> None:
        self.activities = activities
        self.code_minutes = code_minutes

    @property
    def repository(self) -> ActivityRepository:
        return self.activities.repository

    async def _open_activity(self, activity_id: str) -> Activity:
        activity = await self.activities.get(activity_id, for_update=True)
        if ActivityStatus(activity.status) not in OPEN_STATUSES:
            raise Conflict(f"attendance of an activity that is {activity.status} is closed")
        return activity

    async def summary(self, activity_id: str) -> Summary:
        await self.activities.get(activity_id)
        rows = await self.repository.attendance(activity_id)
        count = {s: sum(1 for r in rows if r.status == s) for s in AttendanceStatus}
        return Summary(
            roster=len(rows),
            present=count[AttendanceStatus.PRESENT],
            leave=count[AttendanceStatus.LEAVE],
            absent=count[AttendanceStatus.ABSENT] + count[AttendanceStatus.EXPECTED],
            rows=rows,
        )

    async def issue_code(self, principal: Principal, activity_id: str) -> tuple[str, datetime]:
        activity = await self._open_activity(activity_id)
        require_manager(principal, activity)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        activity.checkin_code_hash = code_hash(activity.id, code)
        activity.checkin_expires_at = utcnow() + timedelta(minutes=self.code_minutes)
        await append_event(
            self.repository,
            activity,
            "checkin_code_issued",
            {"expires_at": activity.checkin_expires_at.isoformat()},
            principal.subject,
        )
        return code, activity.checkin_expires_at

    async def check_in_with_code(
        self, principal: Principal, activity_id: str, code: str
    ) -> Attendance:
        if principal.kind != "user":
            raise Forbidden("members check in with their own account")
        member = await reg.member_of_user(self.activities.registry, principal.subject)
        if member is None:
            raise Forbidden("no party member record is linked to your account")
        activity = await self._open_activity(activity_id)
        row = await self.repository.attendance_of(activity.id, member.member_id, for_update=True)
        if row is None:
            raise Forbidden("you are not on this activity's roster")
        if not _code_valid(activity, code):
            raise invalid("code", "the check-in code is wrong or has expired")
        if row.status == AttendanceStatus.PRESENT:
            raise Conflict("you have already checked in")
        return await self._mark_present(activity, row, CheckinMethod.CODE, principal.subject)

    async def check_in_by_staff(
        self, principal: Principal, activity_id: str, member_ids: list[str]
    ) -> list[Attendance]:
        """Check members in at once: one roster read and one event for the whole batch."""
        activity = await self._open_activity(activity_id)
        require_manager(principal, activity)
        roster = {r.member_id: r for r in await self.repository.attendance(activity.id)}
        for i, member_id in enumerate(member_ids):
            if member_id not in roster:
                raise invalid(f"member_ids.{i}", f"member {member_id} is not on the roster")
        rows = [roster[m] for m in dict.fromkeys(member_ids)]
        fresh = [r for r in rows if r.status != AttendanceStatus.PRESENT]
        now = utcnow()
        for row in fresh:
            row.status = AttendanceStatus.PRESENT.value
            row.method = CheckinMethod.SECRETARY.value
            row.checked_in_at = now
            row.recorded_by = principal.subject
            row.leave_reason = None
        if fresh:
            await append_event(
                self.repository,
                activity,
                "checked_in",
                {
                    "member_ids": [r.member_id for r in fresh],
                    "method": CheckinMethod.SECRETARY.value,
                },
                principal.subject,
            )
        return rows

    async def _mark_present(
        self, activity: Activity, row: Attendance, method: CheckinMethod, actor: str
    ) -> Attendance:
        row.status = AttendanceStatus.PRESENT.value
        row.method = method.value
        row.checked_in_at = utcnow()
        row.recorded_by = actor
        row.leave_reason = None
        await append_event(
            self.repository,
            activity,
            "checked_in",
            {"member_id": row.member_id, "method": method.value},
            actor,
        )
        return row

    async def leave(
        self, principal: Principal, activity_id: str, member_id: str, reason: str
    ) -> Attendance:
        activity = await self._open_activity(activity_id)
        row = await self.repository.attendance_of(activity.id, member_id, for_update=True)
        is_self = False
        if not principal.manages([p for p in activity.owner_path.split("/") if p]):
            me = await reg.member_of_user(self.activities.registry, principal.subject)
            is_self = me is not None and me.member_id == member_id
            if not is_self:
                raise Forbidden("only the member or the organization's staff record a leave")
        if row is None:
            raise invalid("member_id", f"member {member_id} is not on the roster")
        if row.status == AttendanceStatus.PRESENT:
            raise Conflict("the member has checked in already")
        row.status = AttendanceStatus.LEAVE.value
        row.leave_reason = reason
        row.recorded_by = principal.subject
        await append_event(
            self.repository,
            activity,
            "leave",
            {"member_id": member_id, "reason": reason},
            principal.subject,
        )
        return row


def _code_valid(activity: Activity, code: str) -> bool:
    if activity.checkin_code_hash is None or activity.checkin_expires_at is None:
        return False
    if activity.checkin_expires_at <= utcnow():
        return False
    return hmac.compare_digest(activity.checkin_code_hash, code_hash(activity.id, code))
