"""Checking that a referenced party member exists.

Alliances, staff, conveners and volunteer claims store a member as a plain ``member_id`` plus the
person's name (no foreign key, so that these tables do not depend on the members table's
migrations); the id is checked here, on write, against the members table.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models.members import Member
from zhdj_shared.errors import FieldError, Unprocessable


class MemberCheck:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def require(self, member_id: str, field: str) -> None:
        query = select(Member.id).where(col(Member.id) == member_id)
        if (await self.session.exec(query)).first() is None:
            raise Unprocessable(
                f"party member {member_id} does not exist",
                errors=[FieldError(field=field, message="unknown party member")],
            )

    async def member_of_user(self, user_id: str) -> str | None:
        """The member id linked to a platform user (a party member acting for themselves)."""
        query = select(Member.id).where(col(Member.user_id) == user_id)
        return (await self.session.exec(query)).first()
