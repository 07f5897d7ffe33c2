"""Queries on members, their positions and transfers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Member, Organization, Position, Transfer
from zhdj_shared.errors import FieldError, Unprocessable
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import name_search


@dataclass(frozen=True)
class MemberFilters:
    home_org_id: str | None = None
    # Path prefixes the member's home organization must lie under (any of them); None: anywhere.
    within_any: tuple[str, ...] | None = None
    status: str | None = None
    name: str | None = None
    include_left: bool = False


@dataclass(frozen=True)
class PositionFilters:
    org_id: str | None = None
    member_id: str | None = None
    kind: str | None = None
    at: date | None = None  # held on that date; None with include_ended False: held now
    include_ended: bool = False


def overlapping(start_on: date, end_on: date | None) -> ColumnElement[bool]:
    """Positions whose [start_on, end_on) period meets the given one (an open end is forever).

    A position ended on its first day held no day at all (leaving ends a position that had not
    begun that way), so it meets nothing."""
    conditions = [
        or_(col(Position.end_on).is_(None), col(Position.end_on) > start_on),
        or_(col(Position.end_on).is_(None), col(Position.end_on) > col(Position.start_on)),
    ]
    if end_on is not None:
        conditions.append(col(Position.start_on) < end_on)
    return and_(*conditions)


def _dated_cursor(cursor: str) -> list[Any]:
    day, row_id = decode_cursor(cursor, 2)
    try:
        return [date.fromisoformat(day), str(row_id)]
    except (TypeError, ValueError):
        raise Unprocessable(
            "The cursor is not one this server issued.",
            errors=[FieldError(field="cursor", message="invalid cursor")],
        ) from None


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, member_id: str) -> Member | None:
        return await self.session.get(Member, member_id)

    async def get_org(self, org_id: str) -> Organization | None:
        return await self.session.get(Organization, org_id)

    async def get_orgs(self, ids: Sequence[str]) -> list[Organization]:
        if not ids:
            return []
        query = select(Organization).where(col(Organization.id).in_(ids))
        return list((await self.session.exec(query)).all())

    async def by_user(self, user_id: str) -> Member | None:
        query = select(Member).where(col(Member.user_id) == user_id)
        return (await self.session.exec(query.limit(1))).first()

    async def with_value(self, field: str, value: str, *, exclude_id: str | None) -> Member | None:
        query = select(Member).where(col(getattr(Member, field)) == value)
        if exclude_id is not None:
            query = query.where(col(Member.id) != exclude_id)
        return (await self.session.exec(query.limit(1))).first()

    def add(self, row: Member | Position | Transfer) -> None:
        self.session.add(row)

    async def list_page(
        self, filters: MemberFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Member], str | None]:
        order = (col(Member.name_pinyin), col(Member.id))
        query = select(Member)
        for condition in self._conditions(filters):
            query = query.where(condition)
        if cursor:
            query = query.where(after_cursor(order, decode_cursor(cursor, 2)))
        result = await self.session.exec(query.order_by(*order).limit(limit + 1))
        return build_page(result.all(), limit, lambda m: (m.name_pinyin, m.id))

    def _conditions(self, filters: MemberFilters) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if not filters.include_left:
            conditions.append(col(Member.left_on).is_(None))
        if filters.home_org_id is not None:
            conditions.append(col(Member.home_org_id) == filters.home_org_id)
        if filters.within_any is not None:
            conditions.append(
                or_(
                    *(
                        col(Member.org_path).startswith(p, autoescape=True)
                        for p in filters.within_any
                    )
                )
            )
        if filters.status is not None:
            conditions.append(col(Member.status) == filters.status)
        if filters.name:
            conditions.append(
                name_search(
                    col(Member.name),
                    col(Member.name_pinyin),
                    col(Member.name_initials),
                    filters.name,
                )
            )
        return conditions

    # --- positions ------------------------------------------------------------------------

    async def get_position(self, position_id: str) -> Position | None:
        return await self.session.get(Position, position_id)

    async def position_clash(
        self, org_id: str, kind: str, start_on: date, end_on: date | None, *, member_id: str | None
    ) -> Position | None:
        """A position of this kind in this organization overlapping the period (of the member)."""
        query = select(Position).where(
            col(Position.org_id) == org_id,
            col(Position.kind) == kind,
            overlapping(start_on, end_on),
        )
        if member_id is not None:
            query = query.where(col(Position.member_id) == member_id)
        return (await self.session.exec(query.limit(1))).first()

    async def positions_held_after(
        self, member_id: str, day: date, *, under_path: str | None = None
    ) -> list[Position]:
        """The member's positions still held after ``day``: unended, or ending later (a term
        fixed in advance); with ``under_path``, only those in that organization and below it."""
        query = select(Position).where(
            col(Position.member_id) == member_id,
            or_(col(Position.end_on).is_(None), col(Position.end_on) > day),
        )
        if under_path is not None:
            query = query.join(Organization, col(Organization.id) == col(Position.org_id)).where(
                col(Organization.path).startswith(under_path, autoescape=True)
            )
        return list((await self.session.exec(query.order_by(col(Position.id)))).all())

    async def holders_on(
        self, org_ids: Sequence[str], kind: str, on: date
    ) -> dict[str, tuple[Position, Member]]:
        """Who holds ``kind`` in each organization on ``on`` (one statement). Where two rows
        are in force that day, the later appointment wins, as a client reading
        ``GET /positions?org_id=&kind=&at=`` page by page and keeping the last would see."""
        if not org_ids:
            return {}
        query = (
            select(Position, Member)
            .join(Member, col(Member.id) == col(Position.member_id))
            .where(
                col(Position.org_id).in_(set(org_ids)),
                col(Position.kind) == kind,
                col(Position.start_on) <= on,
                or_(col(Position.end_on).is_(None), col(Position.end_on) > on),
            )
            .order_by(col(Position.start_on), col(Position.id))
        )
        return {p.org_id: (p, m) for p, m in (await self.session.exec(query)).all()}

    async def list_positions(
        self, filters: PositionFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Position, Member, Organization]], str | None]:
        order = (col(Position.start_on), col(Position.id))
        query = (
            select(Position, Member, Organization)
            .join(Member, col(Member.id) == col(Position.member_id))
            .join(Organization, col(Organization.id) == col(Position.org_id))
        )
        if filters.org_id is not None:
            query = query.where(col(Position.org_id) == filters.org_id)
        if filters.member_id is not None:
            query = query.where(col(Position.member_id) == filters.member_id)
        if filters.kind is not None:
            query = query.where(col(Position.kind) == filters.kind)
        if filters.at is not None:
            query = query.where(
                col(Position.start_on) <= filters.at,
                or_(col(Position.end_on).is_(None), col(Position.end_on) > filters.at),
            )
        elif not filters.include_ended:
            query = query.where(col(Position.end_on).is_(None))
        if cursor:
            query = query.where(after_cursor(order, _dated_cursor(cursor)))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(
            [(p, m, o) for p, m, o in rows], limit, lambda r: (r[0].start_on.isoformat(), r[0].id)
        )

    # --- transfers ------------------------------------------------------------------------

    async def transfers(
        self, member_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Transfer], str | None]:
        order = (col(Transfer.transferred_on), col(Transfer.id))
        query = select(Transfer).where(col(Transfer.member_id) == member_id)
        if cursor:
            query = query.where(after_cursor(order, _dated_cursor(cursor)))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(rows, limit, lambda t: (t.transferred_on.isoformat(), t.id))

    async def get_transfer(self, transfer_id: str) -> Transfer | None:
        return await self.session.get(Transfer, transfer_id)

    async def last_transfer(self, member_id: str) -> Transfer | None:
        query = (
            select(Transfer)
            .where(col(Transfer.member_id) == member_id)
            .order_by(col(Transfer.transferred_on).desc(), col(Transfer.performed_at).desc())
        )
        return (await self.session.exec(query.limit(1))).first()

    async def set_home(self, member: Member, org: Organization) -> None:
        member.home_org_id = org.id
        member.org_path = org.path
        await self.session.flush()

    async def end_positions(self, ids: Sequence[str], end_on: date, by: str) -> None:
        if not ids:
            return
        statement = (
            update(Position)
            .where(col(Position.id).in_(ids))
            .values(end_on=end_on, ended_by=by)
            .execution_options(synchronize_session="fetch")
        )
        await self.session.exec(statement)
