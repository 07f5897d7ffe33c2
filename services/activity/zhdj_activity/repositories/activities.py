"""Queries on activities, their participants, attendance, attachments and events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_activity.models import (
    Activity,
    ActivityEvent,
    ActivityType,
    Attachment,
    Attendance,
    Participant,
)
from zhdj_activity.periods import china_day
from zhdj_shared.cache import DatabaseCache
from zhdj_shared.errors import FieldError, Unprocessable
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor


@dataclass(frozen=True)
class ActivityFilters:
    party_id: str | None = None  # owner or partner
    within_path: str | None = None
    status: str | None = None
    type_code: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None


TYPE_CACHE_SECONDS = 60.0
_type_labels: DatabaseCache[str, dict[str, str]] = DatabaseCache(TYPE_CACHE_SECONDS)


class ActivityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def types(self) -> list[ActivityType]:
        query = (
            select(ActivityType)
            .where(col(ActivityType.active))
            .order_by(col(ActivityType.sort_order), col(ActivityType.code))
        )
        return list((await self.session.exec(query)).all())

    async def type_labels(self) -> dict[str, str]:
        """Code → Chinese label of the active types, cached (``TYPE_CACHE_SECONDS``): every
        activity read shows a label, and types change only with a migration or by hand."""
        cached, labels = _type_labels.get(self.session, "labels")
        if cached and labels is not None:
            return labels
        found = {t.code: t.label_zh for t in await self.types()}
        return _type_labels.put(self.session, "labels", found)

    async def type(self, code: str) -> ActivityType | None:
        return await self.session.get(ActivityType, code)

    async def get(self, activity_id: str, *, for_update: bool = False) -> Activity | None:
        if not for_update:
            return await self.session.get(Activity, activity_id)
        query = select(Activity).where(col(Activity.id) == activity_id).with_for_update()
        return (await self.session.exec(query)).first()

    async def participants(self, activity_ids: Sequence[str]) -> list[Participant]:
        if not activity_ids:
            return []
        query = select(Participant).where(col(Participant.activity_id).in_(activity_ids))
        return list((await self.session.exec(query.order_by(col(Participant.id)))).all())

    async def sync_participants(self, activity: Activity) -> None:
        """Copy the activity's status, type and day onto its participant rows."""
        day = activity.held_on or china_day(activity.starts_at)
        await self.session.exec(
            update(Participant)
            .where(col(Participant.activity_id) == activity.id)
            .values(status=activity.status, type_code=activity.type_code, day=day)
        )

    async def list_page(
        self, filters: ActivityFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Activity], str | None]:
        order = (col(Activity.starts_at), col(Activity.id))
        query = select(Activity)
        if filters.party_id is not None:
            query = query.where(
                col(Activity.id).in_(
                    select(Participant.activity_id).where(
                        col(Participant.party_id) == filters.party_id
                    )
                )
            )
        if filters.within_path is not None:
            query = query.where(col(Activity.owner_path).startswith(filters.within_path))
        if filters.status is not None:
            query = query.where(col(Activity.status) == filters.status)
        if filters.type_code is not None:
            query = query.where(col(Activity.type_code) == filters.type_code)
        if filters.starts_from is not None:
            query = query.where(col(Activity.starts_at) >= filters.starts_from)
        if filters.starts_before is not None:
            query = query.where(col(Activity.starts_at) < filters.starts_before)
        if cursor:
            query = query.where(after_cursor(order, list(time_cursor(cursor))))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda a: (a.starts_at.isoformat(), a.id))

    # --- attendance ------------------------------------------------------------------------

    async def attendance(self, activity_id: str) -> list[Attendance]:
        query = select(Attendance).where(col(Attendance.activity_id) == activity_id)
        return list((await self.session.exec(query.order_by(col(Attendance.member_name)))).all())

    async def attendance_of(
        self, activity_id: str, member_id: str, *, for_update: bool = False
    ) -> Attendance | None:
        query = select(Attendance).where(
            col(Attendance.activity_id) == activity_id, col(Attendance.member_id) == member_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.exec(query)).first()

    # --- attachments -----------------------------------------------------------------------

    async def attachments(self, activity_id: str) -> list[Attachment]:
        query = select(Attachment).where(col(Attachment.activity_id) == activity_id)
        return list((await self.session.exec(query.order_by(col(Attachment.created_at)))).all())

    async def attachment(self, activity_id: str, attachment_id: str) -> Attachment | None:
        row = await self.session.get(Attachment, attachment_id)
        return row if row is not None and row.activity_id == activity_id else None

    # --- events ----------------------------------------------------------------------------

    async def events(self, activity_id: str) -> list[ActivityEvent]:
        query = select(ActivityEvent).where(col(ActivityEvent.activity_id) == activity_id)
        return list((await self.session.exec(query.order_by(col(ActivityEvent.seq)))).all())

    async def last_event(self, activity_id: str) -> ActivityEvent | None:
        query = (
            select(ActivityEvent)
            .where(col(ActivityEvent.activity_id) == activity_id)
            .order_by(col(ActivityEvent.seq).desc())
            .limit(1)
        )
        return (await self.session.exec(query)).first()


def time_cursor(cursor: str) -> tuple[datetime, str]:
    """A ``(timestamp, id)`` cursor; a forged one is 422, never a 500."""
    start, last_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(start)), str(last_id)
    except ValueError as exc:
        raise Unprocessable(
            "The cursor is not one this server issued.",
            errors=[FieldError(field="cursor", message="invalid cursor")],
        ) from exc
