"""Queries on what a party member holds outside their organization's rolls.

Alliances' leadership seats (班子) and full-time staff engagements, volunteer teams' leaders and
volunteer post claims keep the member as a plain ``member_id`` (no foreign key, see
``models/alliances.py``). When a member leaves, the members service ends them through these
queries.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import AllianceAppointment, AllianceStaff, VolunteerClaim, VolunteerTeam
from zhdj_registry.vocabulary import VolunteerTeamStatus


class MemberRolesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def appointments_held_from(self, member_id: str, day: date) -> list[AllianceAppointment]:
        """The member's leadership seats still held on ``day`` or later (unended, or a term whose
        inclusive end is ``day`` or after)."""
        query = select(AllianceAppointment).where(
            col(AllianceAppointment.member_id) == member_id,
            or_(
                col(AllianceAppointment.ended_on).is_(None),
                col(AllianceAppointment.ended_on) >= day,
            ),
        )
        return list((await self.session.exec(query.order_by(col(AllianceAppointment.id)))).all())

    async def staff_held_from(self, member_id: str, day: date) -> list[AllianceStaff]:
        """The member's full-time staff engagements still held on ``day`` or later."""
        query = select(AllianceStaff).where(
            col(AllianceStaff.member_id) == member_id,
            or_(col(AllianceStaff.ended_on).is_(None), col(AllianceStaff.ended_on) >= day),
        )
        return list((await self.session.exec(query.order_by(col(AllianceStaff.id)))).all())

    async def teams_led(self, member_id: str) -> list[VolunteerTeam]:
        """Active volunteer teams the member leads (a disbanded team keeps its last leader)."""
        query = select(VolunteerTeam).where(
            col(VolunteerTeam.leader_member_id) == member_id,
            col(VolunteerTeam.status) == VolunteerTeamStatus.ACTIVE.value,
        )
        return list((await self.session.exec(query.order_by(col(VolunteerTeam.id)))).all())

    async def active_claims(self, member_id: str) -> list[VolunteerClaim]:
        query = select(VolunteerClaim).where(
            col(VolunteerClaim.member_id) == member_id, col(VolunteerClaim.released_at).is_(None)
        )
        return list((await self.session.exec(query.order_by(col(VolunteerClaim.id)))).all())
