"""Queries on requests, their timeline, attachments and number counters.

Lists are keyset pages ordered newest first by ``id`` (ids are time-ordered), so a street's queue
is one range scan of ``(is_open, handling_path, id)`` however much history there is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models import (
    RequestAttachment,
    RequestCounter,
    RequestEvent,
    ServiceRequest,
)
from zhdj_shared.errors import FieldError, Unprocessable
from zhdj_shared.pagination import build_page, decode_cursor

# PostgreSQL only (migration 0002_requests): the numbers' suffixes.
NUMBER_SEQUENCE = "service_request_number_seq"


@dataclass(frozen=True)
class RequestFilters:
    """Who may see what is decided by the service; these only narrow."""

    resident_user_id: str | None = None  # a resident's own
    submitted_client_id: str | None = None  # a third-party client's own
    within_paths: Sequence[str] | None = None  # handling organization in one of these subtrees
    statuses: Sequence[str] = field(default_factory=tuple)
    open_only: bool = False
    category_id: str | None = None
    item_id: str | None = None
    community_id: str | None = None
    overdue_on: date | None = None  # only those past their resolution deadline on that day
    created_from: datetime | None = None
    created_to: datetime | None = None


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: ServiceRequest | RequestEvent | RequestAttachment) -> None:
        self.session.add(row)

    async def get(self, request_id: str, *, for_update: bool = False) -> ServiceRequest | None:
        query = select(ServiceRequest).where(col(ServiceRequest.id) == request_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.exec(query)).first()

    async def get_by_number(self, number: str) -> ServiceRequest | None:
        query = select(ServiceRequest).where(col(ServiceRequest.number) == number)
        return (await self.session.exec(query)).first()

    async def events(self, request_id: str) -> list[RequestEvent]:
        query = select(RequestEvent).where(col(RequestEvent.request_id) == request_id)
        return list((await self.session.exec(query.order_by(col(RequestEvent.id)))).all())

    async def attachments(self, request_id: str) -> list[RequestAttachment]:
        query = select(RequestAttachment).where(col(RequestAttachment.request_id) == request_id)
        return list((await self.session.exec(query.order_by(col(RequestAttachment.id)))).all())

    async def next_number(self, day: str) -> int:
        """The next sequence number for a request of ``day`` (yyyymmdd), in this transaction.

        PostgreSQL: one sequence, never reset (numbers stay unique and grow; a rolled-back
        submission leaves a gap). A per-day counter row would hold a row lock until commit and
        queue every concurrent submission behind it. SQLite has a single writer anyway: a
        per-day counter, one upsert.
        """
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        if dialect == "postgresql":
            result = await self.session.exec(select(func.nextval(NUMBER_SEQUENCE)))
            return int(result.one())
        table = RequestCounter.__table__  # type: ignore[attr-defined]
        statement = (
            sqlite_insert(table)
            .values(day=day, value=1)
            .on_conflict_do_update(index_elements=["day"], set_={"value": table.c.value + 1})
            .returning(table.c.value)
        )
        counted = await self.session.exec(statement)
        return int(counted.scalar_one())

    async def list_page(
        self, filters: RequestFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[ServiceRequest], str | None]:
        query = select(ServiceRequest).where(*_conditions(filters))
        if cursor:
            (last_id,) = decode_cursor(cursor, 1)
            if not isinstance(last_id, str):
                raise Unprocessable(
                    "The cursor is not one this server issued.",
                    errors=[FieldError(field="cursor", message="invalid cursor")],
                )
            query = query.where(col(ServiceRequest.id) < last_id)
        query = query.order_by(col(ServiceRequest.id).desc()).limit(limit + 1)
        rows = (await self.session.exec(query)).all()
        return build_page(rows, limit, lambda r: (r.id,))

    async def open_nearby(
        self,
        *,
        category_id: str,
        since: datetime,
        box: tuple[float, float, float, float] | None,
        item_id: str,
        grid_id: str | None,
        community_id: str | None,
    ) -> str | None:
        """The oldest open request of the category since ``since`` in the box; without a box,
        of the same item in the same grid (or community)."""
        query = select(ServiceRequest.id).where(
            col(ServiceRequest.category_id) == category_id,
            col(ServiceRequest.is_open).is_(True),
            col(ServiceRequest.created_at) >= since,
        )
        if box is not None:
            min_lat, max_lat, min_lng, max_lng = box
            query = query.where(
                col(ServiceRequest.lat).between(min_lat, max_lat),
                col(ServiceRequest.lng).between(min_lng, max_lng),
            )
        elif community_id is not None:
            query = query.where(
                col(ServiceRequest.item_id) == item_id,
                col(ServiceRequest.community_id) == community_id,
                col(ServiceRequest.grid_id) == grid_id
                if grid_id is not None
                else col(ServiceRequest.grid_id).is_(None),
            )
        else:
            return None
        return (await self.session.exec(query.order_by(col(ServiceRequest.id)).limit(1))).first()

    async def escalation_candidates(self, today: date, horizon: date) -> list[ServiceRequest]:
        """Open requests whose response deadline passed or whose resolution deadline is near."""
        query = select(ServiceRequest).where(
            col(ServiceRequest.is_open).is_(True),
            col(ServiceRequest.status) != "resolved",
            or_(
                and_(
                    col(ServiceRequest.status) == "submitted",
                    col(ServiceRequest.respond_due_on) < today,
                ),
                col(ServiceRequest.resolve_due_on) <= horizon,
            ),
        )
        # Several replicas may sweep at once: each takes the rows no other sweep holds.
        query = query.order_by(col(ServiceRequest.id)).with_for_update(skip_locked=True)
        return list((await self.session.exec(query)).all())

    async def resolved_before(self, when: datetime) -> list[ServiceRequest]:
        query = select(ServiceRequest).where(
            col(ServiceRequest.status) == "resolved", col(ServiceRequest.resolved_at) < when
        )
        query = query.order_by(col(ServiceRequest.id)).with_for_update(skip_locked=True)
        return list((await self.session.exec(query)).all())


def _conditions(filters: RequestFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.resident_user_id is not None:
        conditions.append(col(ServiceRequest.resident_user_id) == filters.resident_user_id)
    if filters.submitted_client_id is not None:
        conditions.append(col(ServiceRequest.submitted_client_id) == filters.submitted_client_id)
    if filters.within_paths is not None:
        paths = list(filters.within_paths)
        if not paths:
            conditions.append(col(ServiceRequest.id).is_(None))  # nothing visible
        else:
            conditions.append(
                or_(
                    *(
                        col(ServiceRequest.handling_path).startswith(p, autoescape=True)
                        for p in paths
                    )
                )
            )
    if filters.open_only:
        conditions.append(col(ServiceRequest.is_open).is_(True))
    if filters.statuses:
        conditions.append(col(ServiceRequest.status).in_(list(filters.statuses)))
    if filters.category_id is not None:
        conditions.append(col(ServiceRequest.category_id) == filters.category_id)
    if filters.item_id is not None:
        conditions.append(col(ServiceRequest.item_id) == filters.item_id)
    if filters.community_id is not None:
        conditions.append(col(ServiceRequest.community_id) == filters.community_id)
    if filters.overdue_on is not None:
        conditions.append(col(ServiceRequest.is_open).is_(True))
        conditions.append(col(ServiceRequest.status) != "resolved")
        conditions.append(
            or_(
                and_(
                    col(ServiceRequest.status) == "submitted",
                    col(ServiceRequest.respond_due_on) < filters.overdue_on,
                ),
                and_(
                    col(ServiceRequest.status) != "submitted",
                    col(ServiceRequest.resolve_due_on) < filters.overdue_on,
                ),
            )
        )
    if filters.created_from is not None:
        conditions.append(col(ServiceRequest.created_at) >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(col(ServiceRequest.created_at) < filters.created_to)
    return conditions
