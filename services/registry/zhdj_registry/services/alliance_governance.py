"""Deliberation mechanism: the leadership team with cross appointments, and rotating conveners."""

from __future__ import annotations

from datetime import date

from zhdj_registry.models import AllianceAppointment, ConvenerPeriod, Organization
from zhdj_registry.schemas.alliances import AppointmentCreate, AppointmentEnd, ConvenerCreate
from zhdj_registry.services.alliances import AllianceService, require_open
from zhdj_registry.services.members_check import MemberCheck
from zhdj_shared.errors import Conflict, FieldError, NotFound, Unprocessable
from zhdj_shared.security.authz import Principal


def terms_overlap(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    """Inclusive date ranges; ``None`` is open-ended."""
    return (end is None or other_start <= end) and (other_end is None or start <= other_end)


class GovernanceService:
    def __init__(self, alliances: AllianceService, members: MemberCheck) -> None:
        self.alliances = alliances
        self.repository = alliances.repository
        self.members = members

    # --- leadership team (班子, 交叉任职) -------------------------------------------------------

    async def appointments(
        self, alliance_id: str, on: date | None
    ) -> list[tuple[AllianceAppointment, Organization]]:
        await self.alliances.get(alliance_id)
        rows = await self.repository.appointments(alliance_id, on)
        orgs = await self.repository.organizations([r.home_org_id for r in rows])
        return [(r, orgs[r.home_org_id]) for r in rows]

    async def appoint(
        self, principal: Principal, alliance_id: str, data: AppointmentCreate
    ) -> tuple[AllianceAppointment, Organization]:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        access.require_manager()
        require_open(access.alliance)
        home = await self.alliances.active_org(data.home_org_id, "home_org_id")
        await self.members.require(data.member_id, "member_id")
        for seat in await self.repository.same_seat(alliance_id, data.member_id, data.role.value):
            if terms_overlap(data.started_on, data.ended_on, seat.started_on, seat.ended_on):
                raise Conflict(f"{data.person_name} already holds this role for part of that time")
        row = AllianceAppointment(
            alliance_id=alliance_id,
            member_id=data.member_id,
            person_name=data.person_name,
            role=data.role.value,
            home_org_id=home.id,
            started_on=data.started_on,
            ended_on=data.ended_on,
        )
        self.repository.add(row)
        await self.repository.session.flush()
        return row, home

    async def end_appointment(
        self, principal: Principal, alliance_id: str, appointment_id: str, data: AppointmentEnd
    ) -> tuple[AllianceAppointment, Organization]:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        access.require_manager()
        row = await self.repository.appointment(alliance_id, appointment_id)
        if row is None:
            raise NotFound(f"appointment {appointment_id} does not exist in this alliance")
        if row.ended_on is not None:
            raise Conflict("the appointment has already ended")
        if data.ended_on < row.started_on:
            raise Unprocessable(
                "an appointment cannot end before it starts",
                errors=[FieldError(field="ended_on", message="before started_on")],
            )
        row.ended_on = data.ended_on
        await self.repository.session.flush()
        home = await self.repository.organization(row.home_org_id)
        assert home is not None
        return row, home

    # --- rotating conveners (轮值召集人) ----------------------------------------------------------

    async def schedule(
        self, alliance_id: str, start: date | None, end: date | None
    ) -> list[tuple[ConvenerPeriod, Organization]]:
        await self.alliances.get(alliance_id)
        rows = await self.repository.convener_periods(alliance_id, start, end)
        orgs = await self.repository.organizations([r.org_id for r in rows])
        return [(r, orgs[r.org_id]) for r in rows]

    async def convener_on(
        self, alliance_id: str, on: date
    ) -> tuple[ConvenerPeriod, Organization] | None:
        periods = await self.schedule(alliance_id, on, on)
        return periods[0] if periods else None

    async def add_period(
        self, principal: Principal, alliance_id: str, data: ConvenerCreate
    ) -> tuple[ConvenerPeriod, Organization]:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        access.require_manager()
        require_open(access.alliance)
        org = await self.alliances.require_member(
            alliance_id, data.org_id, "org_id", data.start_on, data.end_on
        )
        if data.member_id is not None:
            await self.members.require(data.member_id, "member_id")
        clash = await self.repository.convener_periods(alliance_id, data.start_on, data.end_on)
        if clash:
            first = clash[0]
            raise Conflict(
                f"the period overlaps the convener period {first.start_on}..{first.end_on}"
            )
        row = ConvenerPeriod(
            alliance_id=alliance_id,
            start_on=data.start_on,
            end_on=data.end_on,
            org_id=org.id,
            member_id=data.member_id,
            person_name=data.person_name,
        )
        self.repository.add(row)
        await self.repository.session.flush()
        return row, org

    async def remove_period(self, principal: Principal, alliance_id: str, period_id: str) -> None:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        access.require_manager()
        row = await self.repository.convener_period(alliance_id, period_id)
        if row is None:
            raise NotFound(f"convener period {period_id} does not exist in this alliance")
        await self.repository.delete(row)
        await self.repository.session.flush()
