"""Checking that a referenced party member exists and is still on the rolls.

Alliances, staff, conveners and volunteer claims store a member as a plain ``member_id`` plus the
person's name (no foreign key, so that these tables do not depend on the members table's
migrations); the id is checked here, on write, against the members table.

Every write that seats, engages or records a person as a current party member (a position, a
leadership-team seat, a convener, a full-time staff engagement, a volunteer team's leader or a
post's claim, a unit's party-building instructor) needs one who has not left: an unknown id is
422 (the field named), a member who has left 409 (the record exists; its state refuses).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models.members import Member
from zhdj_registry.repositories.members import MemberRepository
from zhdj_shared.errors import Conflict, FieldError, Unprocessable


def unknown_member(member_id: str, field: str) -> Unprocessable:
    return Unprocessable(
        f"party member {member_id} does not exist",
        errors=[FieldError(field=field, message="unknown party member")],
    )


def member_has_left(member: Member, field: str) -> Conflict:
    return Conflict(
        f"party member {member.id} left on {member.left_on}; only a current member can be "
        "appointed, engaged or recorded here",
        errors=[FieldError(field=field, message="the member has left")],
    )


def on_the_rolls(member: Member | None, member_id: str, field: str) -> Member:
    """The member when they exist and have not left (422 unknown, 409 left)."""
    if member is None:
        raise unknown_member(member_id, field)
    if member.left_on is not None:
        raise member_has_left(member, field)
    return member


class MemberCheck:
    def __init__(self, session: AsyncSession) -> None:
        self.repository = MemberRepository(session)

    async def require(self, member_id: str, field: str) -> Member:
        """The current member ``member_id`` (see :func:`on_the_rolls`)."""
        return on_the_rolls(await self.repository.get(member_id), member_id, field)

    async def member_of_user(self, user_id: str) -> str | None:
        """The member id linked to a platform user (a party member acting for themselves)."""
        member = await self.repository.by_user(user_id)
        return None if member is None else member.id
