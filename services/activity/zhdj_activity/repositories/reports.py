"""Queries behind compliance and statistics: each is one indexed scan of a scope and period.

A scope is a set of parties: one party by id, or every organization whose materialized path
starts with a subtree's path (``ix_participants_path_day`` / ``ix_volunteer_records_path_day``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_activity.models import (
    Activity,
    Attendance,
    CadenceExemption,
    CadenceRule,
    Participant,
    VolunteerRecord,
)
from zhdj_activity.vocabulary import COUNTED_STATUSES, PartyKind


@dataclass(frozen=True)
class Scope:
    """``party_id`` alone, or every organization under ``path`` (``party_id`` None)."""

    party_id: str | None = None
    path: str | None = None


def _participants_in(scope: Scope) -> ColumnElement[bool]:
    if scope.party_id is not None:
        return col(Participant.party_id) == scope.party_id
    assert scope.path is not None
    return (col(Participant.party_kind) == PartyKind.ORG.value) & col(
        Participant.party_path
    ).startswith(scope.path, autoescape=True)


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rules(self) -> list[CadenceRule]:
        query = select(CadenceRule).where(col(CadenceRule.active)).order_by(col(CadenceRule.code))
        return list((await self.session.exec(query)).all())

    async def exemptions(
        self, party_ids: Sequence[str], start: date, end: date
    ) -> list[CadenceExemption]:
        query = select(CadenceExemption).where(
            col(CadenceExemption.start_on) <= end, col(CadenceExemption.end_on) >= start
        )
        if len(party_ids) <= 500:
            query = query.where(col(CadenceExemption.party_id).in_(party_ids))
        wanted = set(party_ids)  # a large scope: filter here rather than a huge IN list
        return [e for e in (await self.session.exec(query)).all() if e.party_id in wanted]

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def rule(self, code: str) -> CadenceRule | None:
        return await self.session.get(CadenceRule, code)

    async def exemptions_of(self, party_id: str) -> list[CadenceExemption]:
        query = select(CadenceExemption).where(col(CadenceExemption.party_id) == party_id)
        return list((await self.session.exec(query.order_by(col(CadenceExemption.start_on)))).all())

    async def held_days(
        self, scope: Scope, type_codes: Sequence[str], start: date, end: date
    ) -> list[tuple[str, str, date]]:
        """(party, type, day) of every counted participation in the scope and days."""
        if not type_codes:
            return []
        query = select(
            col(Participant.party_id), col(Participant.type_code), col(Participant.day)
        ).where(
            _participants_in(scope),
            col(Participant.day) >= start,
            col(Participant.day) <= end,
            col(Participant.type_code).in_(type_codes),
            col(Participant.status).in_(COUNTED_STATUSES),
        )
        return [(p, t, d) for p, t, d in (await self.session.exec(query)).all()]

    async def by_type(self, scope: Scope, start: date, end: date) -> dict[str, int]:
        query = (
            select(col(Participant.type_code), func.count(distinct(col(Participant.activity_id))))
            .where(
                _participants_in(scope),
                col(Participant.day) >= start,
                col(Participant.day) <= end,
                col(Participant.status).in_(COUNTED_STATUSES),
            )
            .group_by(col(Participant.type_code))
        )
        return {t: int(n) for t, n in (await self.session.exec(query)).all()}

    async def attendance_totals(self, scope: Scope, start: date, end: date) -> tuple[int, int]:
        """(roster places, present) over the counted activities the scope took part in."""
        activity_ids = (
            select(col(Participant.activity_id))
            .where(
                _participants_in(scope),
                col(Participant.day) >= start,
                col(Participant.day) <= end,
                col(Participant.status).in_(COUNTED_STATUSES),
            )
            .distinct()
        )
        query = select(
            func.count(col(Attendance.id)),
            func.count(col(Attendance.id)).filter(col(Attendance.status) == "present"),
        ).where(col(Attendance.activity_id).in_(activity_ids))
        roster, present = (await self.session.exec(query)).one()
        return int(roster), int(present)

    async def volunteer_totals(self, scope: Scope, start: date, end: date) -> tuple[float, int]:
        """(hours, person-times 人次): one record is one person serving once."""
        query = select(
            func.coalesce(func.sum(col(VolunteerRecord.hours)), 0.0),
            func.count(col(VolunteerRecord.id)),
        ).where(col(VolunteerRecord.served_on) >= start, col(VolunteerRecord.served_on) <= end)
        if scope.party_id is not None:
            in_alliance = select(col(Participant.activity_id)).where(
                col(Participant.party_id) == scope.party_id
            )
            query = query.where(
                (col(VolunteerRecord.org_id) == scope.party_id)
                | col(VolunteerRecord.activity_id).in_(in_alliance)
            )
        else:
            assert scope.path is not None
            query = query.where(
                col(VolunteerRecord.org_path).startswith(scope.path, autoescape=True)
            )
        hours, count = (await self.session.exec(query)).one()
        return round(float(hours), 2), int(count)

    async def lectures_in(
        self, alliance_ids: Sequence[str], lecturer_ids: Sequence[str], start: date, end: date
    ) -> list[tuple[str, str, str, date]]:
        """(alliance, lecturer, activity, day) of counted lectures the alliances took part in,
        given by any of ``lecturer_ids`` (one query for a whole batch of alliances)."""
        if not alliance_ids or not lecturer_ids:
            return []
        query = (
            select(
                col(Participant.party_id),
                col(Activity.lecturer_member_id),
                col(Activity.id),
                col(Participant.day),
            )
            .join(Participant, col(Participant.activity_id) == col(Activity.id))
            .where(
                col(Participant.party_id).in_(alliance_ids),
                col(Participant.day) >= start,
                col(Participant.day) <= end,
                col(Participant.status).in_(COUNTED_STATUSES),
                col(Activity.lecturer_member_id).in_(lecturer_ids),
            )
        )
        return [(p, str(m), a, d) for p, m, a, d in (await self.session.exec(query)).all()]
