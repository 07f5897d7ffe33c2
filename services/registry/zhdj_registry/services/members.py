"""Rules of party members, their positions and transfers (组织关系转接).

Reading: a member is visible to staff (org staff, service-center staff, assessors) acting for
their home organization or an organization above it, to the platform's own services (client
credentials, role ``service``), and to the member themself (token ``sub`` equal to the member's
``user_id``). Everyone else gets 403: residents, and party members, whose tokens also name an
organization (their own) but who do not keep its rolls. Personal data (phone, ID number,
address; birth date and user id withheld) is masked unless the caller manages the member (org
staff acting for the home organization or above, or an admin) or is the member.

Writing: staff managing the home organization create, change and record the leaving of a
member; staff managing an organization appoint to and end its positions; a transfer needs
managing the source (current home) organization, and the destination must be active.

A transfer ends the member's positions still held after the transfer date (unended, or a fixed
term running past it) in the source organization and below it, on that date, and records their
ids in the transfer; positions held elsewhere (an instructor post in another organization, a
cross appointment) stay. A transfer never deletes history: each is a row of its own, and the
member's ``org_path`` follows the new home organization.

Leaving ends everything the member held as a party member: every position still held after
``left_on``, their alliance leadership seats and full-time staff engagements still held on it
(ending the day before: those are inclusive terms), the lead of active volunteer teams (the
team is left without a leader until its managers name one), and their active volunteer post
claims. A
member who has left can no longer be appointed, engaged, seated or recorded anywhere (409,
``services/members_check.py``), nor transferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from zhdj_registry.codes import id_birth_date, id_is_male
from zhdj_registry.models import (
    AllianceAppointment,
    AllianceStaff,
    Member,
    Organization,
    Position,
    Transfer,
)
from zhdj_registry.repositories.member_roles import MemberRolesRepository
from zhdj_registry.repositories.members import MemberFilters, MemberRepository, PositionFilters
from zhdj_registry.schemas.members import (
    MemberCreate,
    MemberLeave,
    MemberUpdate,
    PositionCreate,
    PositionEnd,
    TransferCreate,
)
from zhdj_registry.services.acting import manages, require_manages, require_user_token
from zhdj_registry.services.members_check import on_the_rolls
from zhdj_registry.vocabulary import (
    LEAVE_REASON_LABELS,
    POSITION_KIND_LABELS,
    SINGLE_HOLDER_POSITIONS,
    Gender,
    MemberStatus,
    OrgStatus,
)
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.ids import new_id
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role
from zhdj_shared.text import pinyin_key


def today() -> date:
    return today_in_china()


def is_self(principal: Principal, member: Member) -> bool:
    return (
        principal.kind == "user"
        and member.user_id is not None
        and (member.user_id == principal.subject)
    )


def sees_unmasked(principal: Principal, member: Member) -> bool:
    return is_self(principal, member) or manages(principal, member.ancestry())


def _sees_everything(principal: Principal) -> bool:
    return principal.is_admin or Role.SERVICE in principal.roles


# Roles whose organizations' members they may read (masked unless they manage them).
READER_ROLES = (Role.ORG_STAFF, Role.SERVICE_STAFF, Role.ASSESSOR)


def reads_members_of(principal: Principal, ancestry: list[str]) -> bool:
    return principal.has_role(*READER_ROLES) and principal.acts_for(ancestry)


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, errors=[FieldError(field=field, message=message)])


@dataclass(frozen=True)
class Leaving:
    """A recorded leaving and what it ended (ids, each list sorted)."""

    member: Member
    ended_position_ids: list[str]
    ended_appointment_ids: list[str]  # alliance leadership seats (班子)
    ended_staff_ids: list[str]  # alliance full-time staff engagements
    released_claim_ids: list[str]  # volunteer post claims
    led_team_ids: list[str]  # active volunteer teams that no longer have them as leader


class MemberService:
    def __init__(self, repository: MemberRepository) -> None:
        self.repository = repository
        self.roles = MemberRolesRepository(repository.session)

    # --- reading --------------------------------------------------------------------------

    async def get(self, member_id: str) -> Member:
        member = await self.repository.get(member_id)
        if member is None:
            raise NotFound(f"member {member_id} does not exist")
        return member

    async def read(self, principal: Principal, member_id: str) -> Member:
        member = await self.get(member_id)
        if not (
            _sees_everything(principal)
            or is_self(principal, member)
            or reads_members_of(principal, member.ancestry())
        ):
            raise Forbidden("you do not act for this member's organization")
        return member

    async def me(self, principal: Principal) -> Member:
        require_user_token(principal, "GET /members/me")
        member = await self.repository.by_user(principal.subject)
        if member is None:
            raise NotFound("no member record is linked to your account")
        return member

    async def of_user(self, principal: Principal, user_id: str) -> Member:
        """The member linked to ``user_id``: for platform services and administrators only."""
        if not _sees_everything(principal):
            raise Forbidden("only platform services look members up by user")
        member = await self.repository.by_user(user_id)
        if member is None:
            raise NotFound("no member record is linked to this user")
        return member

    async def list_page(
        self, principal: Principal, filters: MemberFilters, within: str | None, page: PageParams
    ) -> tuple[list[Member], str | None]:
        scope = await self.visible_paths(principal, within)
        if scope == ():
            return [], None
        filters = MemberFilters(
            home_org_id=filters.home_org_id,
            within_any=scope,
            status=filters.status,
            name=filters.name,
            include_left=filters.include_left,
        )
        return await self.repository.list_page(filters, limit=page.limit, cursor=page.cursor)

    async def visible_paths(
        self, principal: Principal, within: str | None
    ) -> tuple[str, ...] | None:
        """Path prefixes the caller may list (None: everywhere)."""
        if within is not None:
            org = await self._org(within)
            if not (_sees_everything(principal) or reads_members_of(principal, org.ancestry())):
                raise Forbidden("you do not keep the rolls of this organization or any above it")
            return (org.path,)
        if _sees_everything(principal):
            return None
        if not (principal.orgs and principal.has_role(*READER_ROLES)):
            raise Forbidden("members are visible only to the staff of their organizations")
        return tuple(o.path for o in await self.repository.get_orgs(sorted(principal.orgs)))

    # --- writing members ------------------------------------------------------------------

    async def create(self, principal: Principal, data: MemberCreate) -> Member:
        home = await self._active_org(data.home_org_id, "home_org_id")
        require_manages(principal, home.ancestry(), "the home organization")
        values = data.model_dump(mode="python")
        check_consistency(values)
        await self._check_unique(values, exclude_id=None)
        key = pinyin_key(data.name)
        member = Member(
            id=new_id(),
            name_pinyin=key.full,
            name_initials=key.initials,
            org_path=home.path,
            **{**values, "status": data.status.value, "gender": _code(data.gender)},
        )
        self.repository.add(member)
        await self._flush()
        return member

    async def update(self, principal: Principal, member_id: str, data: MemberUpdate) -> Member:
        member = await self.get(member_id)
        require_manages(principal, member.ancestry(), "the member's home organization")
        changes = data.model_dump(exclude_unset=True, mode="python")
        for field in ("status", "gender"):
            if field in changes:
                changes[field] = _code(changes[field])
        merged = {**member.model_dump(), **changes}
        check_consistency(merged)
        await self._check_unique(changes, exclude_id=member.id)
        if "name" in changes and changes["name"] != member.name:
            key = pinyin_key(changes["name"])
            member.name_pinyin, member.name_initials = key.full, key.initials
        for field, value in changes.items():
            setattr(member, field, value)
        member.updated_at = utcnow()
        await self._flush()
        return member

    async def leave(self, principal: Principal, member_id: str, data: MemberLeave) -> Leaving:
        """Record the leaving and end everything the member held as a party member."""
        member = await self.get(member_id)
        require_manages(principal, member.ancestry(), "the member's home organization")
        if member.left_on is not None:
            raise Conflict("the member has already left")
        if data.left_on > today():
            raise _invalid("left_on", "left_on is in the future")
        positions = await self.repository.positions_held_after(member.id, data.left_on)
        for position in positions:
            # Events end exclusively: left_on is the first day not held (a position that had
            # not begun ends on its start: it held no day).
            position.end_on = max(data.left_on, position.start_on)
            position.ended_by = principal.subject
        appointments = await self.roles.appointments_held_from(member.id, data.left_on)
        staff = await self.roles.staff_held_from(member.id, data.left_on)
        terms: list[AllianceAppointment | AllianceStaff] = [*appointments, *staff]
        for term in terms:
            # Terms end inclusively: the last day held is the day before left_on (a term that
            # had not begun ends the day before its start: no day held).
            term.ended_on = max(data.left_on, term.started_on) - timedelta(days=1)
        teams = await self.roles.teams_led(member.id)
        for team in teams:
            team.leader_member_id = team.leader_name = None
        claims = await self.roles.active_claims(member.id)
        released_at = utcnow()
        for claim in claims:
            claim.released_at = released_at
            claim.release_reason = (
                f"党员于{data.left_on.isoformat()}离开（{LEAVE_REASON_LABELS[data.reason]}）"
            )
        member.left_on = data.left_on
        member.left_reason = data.reason.value
        member.left_note = data.note
        member.updated_at = released_at
        for team in teams:
            team.updated_at = released_at
        await self._flush()
        return Leaving(
            member=member,
            ended_position_ids=[p.id for p in positions],
            ended_appointment_ids=[a.id for a in appointments],
            ended_staff_ids=[s.id for s in staff],
            released_claim_ids=[c.id for c in claims],
            led_team_ids=[t.id for t in teams],
        )

    # --- positions ------------------------------------------------------------------------

    async def appoint(
        self, principal: Principal, data: PositionCreate
    ) -> tuple[Position, Member, Organization]:
        org = await self._active_org(data.org_id, "org_id")
        require_manages(principal, org.ancestry(), "this organization")
        member = on_the_rolls(
            await self.repository.get(data.member_id), data.member_id, "member_id"
        )
        await self._check_no_clash(data)
        position = Position(
            id=new_id(),
            member_id=member.id,
            org_id=org.id,
            kind=data.kind.value,
            start_on=data.start_on,
            end_on=data.end_on,
            appointed_by=principal.subject,
            ended_by=principal.subject if data.end_on else None,
        )
        self.repository.add(position)
        await self._flush()
        return position, member, org

    async def _check_no_clash(self, data: PositionCreate) -> None:
        label = POSITION_KIND_LABELS[data.kind]
        same = await self.repository.position_clash(
            data.org_id, data.kind.value, data.start_on, data.end_on, member_id=data.member_id
        )
        if same is not None:
            raise Conflict(f"the member already holds {label} in this organization then")
        if data.kind in SINGLE_HOLDER_POSITIONS:
            other = await self.repository.position_clash(
                data.org_id, data.kind.value, data.start_on, data.end_on, member_id=None
            )
            if other is not None:
                raise Conflict(
                    f"the organization already has a {label} then; end that position first"
                )

    async def end_position(
        self, principal: Principal, position_id: str, data: PositionEnd
    ) -> tuple[Position, Member, Organization]:
        position = await self.repository.get_position(position_id)
        if position is None:
            raise NotFound(f"position {position_id} does not exist")
        org = await self._org(position.org_id)
        require_manages(principal, org.ancestry(), "this organization")
        if position.end_on is not None:
            raise Conflict("the position has already ended")
        if data.end_on < position.start_on:
            raise _invalid("end_on", "end_on is before the position's start")
        if data.end_on > today():
            raise _invalid("end_on", "end_on is in the future")
        position.end_on = data.end_on
        position.ended_by = principal.subject
        await self._flush()
        return position, await self.get(position.member_id), org

    async def position(self, position_id: str) -> tuple[Position, Member, Organization]:
        position = await self.repository.get_position(position_id)
        if position is None:
            raise NotFound(f"position {position_id} does not exist")
        return position, await self.get(position.member_id), await self._org(position.org_id)

    async def list_positions(
        self, filters: PositionFilters, page: PageParams
    ) -> tuple[list[tuple[Position, Member, Organization]], str | None]:
        return await self.repository.list_positions(filters, limit=page.limit, cursor=page.cursor)

    # --- transfers ------------------------------------------------------------------------

    async def transfer(
        self, principal: Principal, member_id: str, data: TransferCreate
    ) -> Transfer:
        member = await self.get(member_id)
        require_manages(principal, member.ancestry(), "the member's current organization")
        if member.left_on is not None:
            raise Conflict("the member has left the party; their relation cannot move")
        destination = await self._active_org(data.to_org_id, "to_org_id")
        source = await self._org(member.home_org_id)
        await self._check_transfer_date(member, destination, data.transferred_on)
        ending = await self.repository.positions_held_after(
            member.id, data.transferred_on, under_path=source.path
        )
        late = [p for p in ending if p.start_on > data.transferred_on]
        if late:
            raise Conflict("the member holds a position that starts after the transfer date")
        transfer = Transfer(
            id=new_id(),
            member_id=member.id,
            from_org_id=source.id,
            to_org_id=destination.id,
            transferred_on=data.transferred_on,
            reason=data.reason,
            ended_position_ids=sorted(p.id for p in ending),
            performed_by=principal.subject,
        )
        for position in ending:
            position.end_on = data.transferred_on
            position.ended_by = principal.subject
        self.repository.add(transfer)
        member.updated_at = utcnow()
        await self.repository.set_home(member, destination)
        return transfer

    async def _check_transfer_date(self, member: Member, to: Organization, day: date) -> None:
        if to.id == member.home_org_id:
            raise _invalid("to_org_id", "the member already belongs to this organization")
        if day > today():
            raise _invalid("date", "the transfer date is in the future")
        last = await self.repository.last_transfer(member.id)
        if last is not None and day < last.transferred_on:
            raise _invalid("date", "the transfer date is before the member's last transfer")

    async def transfers(
        self, principal: Principal, member_id: str, page: PageParams
    ) -> tuple[list[Transfer], str | None]:
        member = await self.read(principal, member_id)
        return await self.repository.transfers(member.id, limit=page.limit, cursor=page.cursor)

    async def transfer_of(self, principal: Principal, member_id: str, transfer_id: str) -> Transfer:
        member = await self.read(principal, member_id)
        transfer = await self.repository.get_transfer(transfer_id)
        if transfer is None or transfer.member_id != member.id:
            raise NotFound(f"transfer {transfer_id} of member {member_id} does not exist")
        return transfer

    # --- helpers --------------------------------------------------------------------------

    async def _org(self, org_id: str) -> Organization:
        org = await self.repository.get_org(org_id)
        if org is None:
            raise NotFound(f"organization {org_id} does not exist")
        return org

    async def _active_org(self, org_id: str, field: str) -> Organization:
        org = await self.repository.get_org(org_id)
        if org is None or org.status != OrgStatus.ACTIVE.value:
            raise _invalid(field, "the organization does not exist or has been dissolved")
        return org

    async def _check_unique(self, values: dict[str, object], *, exclude_id: str | None) -> None:
        for field, what in (("id_number", "ID number"), ("user_id", "user")):
            value = values.get(field)
            if isinstance(value, str) and await self.repository.with_value(
                field, value, exclude_id=exclude_id
            ):
                raise Conflict(f"another member has this {what}")

    async def _flush(self) -> None:
        try:
            await self.repository.session.flush()
        except IntegrityError as exc:  # a concurrent request won the race the checks lost
            raise Conflict("the change conflicts with another record") from exc


def _code(value: object) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def check_consistency(values: dict[str, object]) -> None:
    """Dates in order, probationary members not converted, and the ID number agreeing."""
    errors: list[FieldError] = []
    joined, converted = values.get("joined_on"), values.get("converted_on")
    born, number = values.get("birth_date"), values.get("id_number")
    if _code(values.get("status")) == MemberStatus.PROBATIONARY and converted is not None:
        errors.append(FieldError(field="converted_on", message="a probationary member"))
    if isinstance(joined, date) and joined > today():
        errors.append(FieldError(field="joined_on", message="in the future"))
    if isinstance(joined, date) and isinstance(converted, date) and converted < joined:
        errors.append(FieldError(field="converted_on", message="before joined_on"))
    if isinstance(born, date) and isinstance(joined, date) and born >= joined:
        errors.append(FieldError(field="birth_date", message="not before joined_on"))
    if isinstance(number, str):
        if isinstance(born, date) and id_birth_date(number) != born:
            errors.append(FieldError(field="id_number", message="birth date differs"))
        gender = _code(values.get("gender"))
        if gender is not None and (gender == Gender.MALE) != id_is_male(number):
            errors.append(FieldError(field="id_number", message="gender differs"))
    if errors:
        raise Unprocessable("the member's data is inconsistent", errors=errors)
