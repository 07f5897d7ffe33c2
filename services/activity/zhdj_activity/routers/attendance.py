"""Attendance of an activity: roster, check-in code, check-ins, leave."""

from __future__ import annotations

from fastapi import APIRouter, Response

from zhdj_activity.routers.deps import AttendanceDep, Id, OncePerKey, Reader, Writer
from zhdj_activity.schemas.activities import (
    AttendanceRead,
    AttendanceSummary,
    CheckinCodeRead,
    CodeCheckin,
    LeaveBody,
    SecretaryCheckin,
)
from zhdj_activity.services.attendance import AttendanceService
from zhdj_shared.errors import problem_responses

router = APIRouter(prefix="/api/activity/activities", tags=["attendance"])


async def _summary(service: AttendanceService, activity_id: str) -> AttendanceSummary:
    s = await service.summary(activity_id)
    return AttendanceSummary(
        roster=s.roster,
        present=s.present,
        leave=s.leave,
        absent=s.absent,
        rate=s.rate,
        items=[AttendanceRead.of(r) for r in s.rows],
    )


@router.get(
    "/{activity_id}/attendance",
    summary="Roster, check-ins, leaves and the attendance rate",
    responses=problem_responses(404),
)
async def attendance(
    activity_id: Id, _principal: Reader, service: AttendanceDep
) -> AttendanceSummary:
    return await _summary(service, activity_id)


@router.post(
    "/{activity_id}/checkin-code",
    summary="Issue a short-lived check-in code (what the QR code on the wall carries)",
    responses=problem_responses(403, 404, 409),
)
async def issue_code(activity_id: Id, principal: Writer, service: AttendanceDep) -> CheckinCodeRead:
    code, expires_at = await service.issue_code(principal, activity_id)
    return CheckinCodeRead(code=code, expires_at=expires_at)


@router.post(
    "/{activity_id}/checkins",
    response_model=AttendanceRead,
    summary="Check in as the calling member with the code (once; on the roster only); a phone "
    "retrying with the same Idempotency-Key gets its check-in back instead of a 409",
    responses=problem_responses(403, 404, 409, 422, 503),
)
async def check_in(
    activity_id: Id,
    body: CodeCheckin,
    principal: Writer,
    service: AttendanceDep,
    once: OncePerKey,
) -> Response:
    async def check() -> AttendanceRead:
        return AttendanceRead.of(
            await service.check_in_with_code(principal, activity_id, body.code)
        )

    return await once.answer(body, check, status_code=200)


@router.post(
    "/{activity_id}/attendance/checkins",
    summary="Check members in (the secretary / staff)",
    responses=problem_responses(403, 404, 409, 422),
)
async def staff_check_in(
    activity_id: Id, body: SecretaryCheckin, principal: Writer, service: AttendanceDep
) -> AttendanceSummary:
    await service.check_in_by_staff(principal, activity_id, body.member_ids)
    return await _summary(service, activity_id)


@router.post(
    "/{activity_id}/attendance/leave",
    summary="Record a leave (请假) with a reason (the member or staff)",
    responses=problem_responses(403, 404, 409, 422),
)
async def leave(
    activity_id: Id, body: LeaveBody, principal: Writer, service: AttendanceDep
) -> AttendanceRead:
    row = await service.leave(principal, activity_id, body.member_id, body.reason)
    return AttendanceRead.of(row)
