"""Queries on requests, their timeline, attachments and number counters.

Lists are keyset pages ordered newest first by ``id`` (ids are time-ordered), so a street's queue
is one range scan of ``(is_open, handling_path, id)`` however much history there is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Executable,
    Insert,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    null,
    or_,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import configure_mappers
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from zhdj_service_requests.models import (
    IDEMPOTENCY_KEYS,
    RequestAttachment,
    RequestCounter,
    RequestEvent,
    ServiceRequest,
    WebhookSubscription,
)
from zhdj_shared.errors import FieldError, Unprocessable
from zhdj_shared.idempotency import Completion, claim_statement, completion_statement
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

    async def insert_request(self, values: dict[str, Any]) -> None:
        """One Core ``INSERT`` of a new request (every column given): no ORM unit of work."""
        await self.session.exec(_INSERT_REQUEST, params=values)

    async def insert_event(self, values: dict[str, Any]) -> None:
        """One Core ``INSERT`` of a timeline line (every column given)."""
        await self.session.exec(_INSERT_EVENT, params=values)

    async def insert_submission(
        self,
        request: dict[str, Any],
        event: dict[str, Any],
        completion: Completion | None = None,
    ) -> None:
        """A new request, its first timeline line and, for a call with an ``Idempotency-Key``,
        the response stored on the key row (``completion``): every column given.

        PostgreSQL: one statement, one round trip (the inserts are data-modifying CTEs of the
        key's ``UPDATE``, or of the timeline's ``INSERT``; the timeline line's foreign key is
        checked at the end of the statement, when the request exists). SQLite, which has no
        data-modifying CTEs: one statement each.
        """
        connection = await self.session.connection()
        if connection.dialect.name != "postgresql":
            await connection.execute(_INSERT_REQUEST, request)
            await connection.execute(_INSERT_EVENT, event)
            if completion is not None:
                await connection.execute(_COMPLETE_KEY, completion.params)
            return
        params = {f"r_{k}": v for k, v in request.items()}
        params.update({f"e_{k}": v for k, v in event.items()})
        if completion is None:
            await connection.execute(_SUBMISSION, params)
        else:
            params.update(completion.params)
            await connection.execute(_SUBMISSION_WITH_KEY, params)

    async def number_and_duplicate(
        self, day: str, duplicate: DuplicateQuery | None, claim: dict[str, Any] | None = None
    ) -> Numbered:
        """The next number of ``day``, the answer of the duplicate query and whether any webhook
        subscription is active: one round trip on PostgreSQL (see :meth:`next_number`,
        :meth:`open_nearby`); SQLite does not tell the last (``None``).

        ``claim`` (PostgreSQL only): the parameters of ``zhdj_shared.idempotency``'s
        ``claim_statement``, which takes the call's ``Idempotency-Key`` in the same statement
        (``Numbered.claimed``: whether it did; a concurrent holder of the key makes it wait).
        """
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        if dialect == "postgresql":
            kind = duplicate.kind if duplicate is not None else None
            params = dict(duplicate.params) if duplicate is not None else {}
            statement = _NUMBERED[kind]
            if claim is not None:
                statement = _NUMBERED_CLAIMING[kind]
                params.update(claim)
            # Through the connection: a Core select, no ORM statement processing.
            connection = await self.session.connection()
            row = (await connection.execute(statement, params)).one()
            claimed = bool(row[3]) if claim is not None else None
            return Numbered(int(row[0]), row[1], bool(row[2]), claimed)
        if claim is not None:
            raise ValueError("SQLite takes the Idempotency-Key before any read (guard.begin)")
        number = await self.next_number(day)
        found = None if duplicate is None else await self._duplicate(duplicate)
        return Numbered(number, found, None)

    async def _duplicate(self, duplicate: DuplicateQuery) -> str | None:
        statement = _DUPLICATE[duplicate.kind]
        return (await self.session.exec(statement, params=duplicate.params)).first()

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

    async def numbers_continue_after(self, highest: int) -> None:
        """Rows written in bulk with their own numbers (the demo) took suffixes up to
        ``highest`` without drawing them from the sequence: on PostgreSQL the sequence moves
        past them, or the next submissions of such a day would draw a suffix already stored
        and fail on the numbers' unique index. (SQLite's per-day counters are written with
        the rows.) The sequence never moves back.
        """
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        if dialect != "postgresql" or highest <= 0:
            return
        await self.session.exec(_CONTINUE_NUMBERS, params={"highest": highest})

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
        query = open_nearby_query(
            category_id=category_id,
            since=since,
            box=box,
            item_id=item_id,
            grid_id=grid_id,
            community_id=community_id,
        )
        return None if query is None else await self._duplicate(query)

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


_INSERT_REQUEST = insert(ServiceRequest.__table__)  # type: ignore[attr-defined]
_INSERT_EVENT = insert(RequestEvent.__table__)  # type: ignore[attr-defined]
_COMPLETE_KEY = completion_statement(IDEMPOTENCY_KEYS)


def _insert_all_columns(table: Table, prefix: str) -> Insert:
    """``INSERT`` of every column of ``table``, bound as ``<prefix><column>`` (so that two
    tables' columns can be bound in one statement)."""
    return insert(table).values(
        {c.name: bindparam(f"{prefix}{c.name}", type_=c.type) for c in table.columns}
    )


def _submission_statements() -> tuple[Executable, Executable]:
    """PostgreSQL, built once: the request and its first timeline line, and the same with the
    idempotent response stored on the key row (see ``insert_submission``)."""
    request = _insert_all_columns(ServiceRequest.__table__, "r_").cte("new_request")  # type: ignore[attr-defined]
    event = _insert_all_columns(RequestEvent.__table__, "e_")  # type: ignore[attr-defined]
    return event.add_cte(request), _COMPLETE_KEY.add_cte(request, event.cte("new_event"))


_SUBMISSION, _SUBMISSION_WITH_KEY = _submission_statements()


@dataclass(frozen=True)
class DuplicateQuery:
    """Which prepared duplicate query to run (``box``, ``grid`` or ``community``), and its
    parameters (see :meth:`RequestRepository.open_nearby`)."""

    kind: str
    params: dict[str, Any]


def open_nearby_query(
    *,
    category_id: str,
    since: datetime,
    box: tuple[float, float, float, float] | None,
    item_id: str,
    grid_id: str | None,
    community_id: str | None,
) -> DuplicateQuery | None:
    """The duplicate query for these facts; ``None``: nothing to ask."""
    params: dict[str, Any] = {"category_id": category_id, "since": since}
    if box is not None:
        params.update(zip(("min_lat", "max_lat", "min_lng", "max_lng"), box, strict=True))
        return DuplicateQuery("box", params)
    if community_id is None:
        return None
    params.update(item_id=item_id, community_id=community_id)
    if grid_id is None:
        return DuplicateQuery("community", params)
    return DuplicateQuery("grid", {**params, "grid_id": grid_id})


def _duplicate_statements() -> dict[str, SelectOfScalar[str]]:
    """Built once: the statements differ only in their parameters, so each execution skips
    building and hashing a new statement. Without a box, one probe of
    ``ix_service_requests_same_place`` (migration 0030)."""
    base = select(ServiceRequest.id).where(
        col(ServiceRequest.category_id) == bindparam("category_id"),
        col(ServiceRequest.is_open).is_(True),
        col(ServiceRequest.created_at) >= bindparam("since"),
    )
    same_place = base.where(
        col(ServiceRequest.item_id) == bindparam("item_id"),
        col(ServiceRequest.community_id) == bindparam("community_id"),
    )
    statements = {
        "box": base.where(
            col(ServiceRequest.lat).between(bindparam("min_lat"), bindparam("max_lat")),
            col(ServiceRequest.lng).between(bindparam("min_lng"), bindparam("max_lng")),
        ),
        "grid": same_place.where(col(ServiceRequest.grid_id) == bindparam("grid_id")),
        "community": same_place.where(col(ServiceRequest.grid_id).is_(None)),
    }
    # The oldest by creation (ids are time-ordered too): the first entry of an index range.
    order = (col(ServiceRequest.created_at), col(ServiceRequest.id))
    return {kind: query.order_by(*order).limit(1) for kind, query in statements.items()}


_DUPLICATE = _duplicate_statements()
# PostgreSQL: the number, the duplicate hint and whether anyone subscribed to webhooks in
# one statement, one round trip.
_SUBSCRIBED = exists().where(col(WebhookSubscription.active).is_(True))
_NUMBERED: dict[str | None, Any] = {
    kind: select(
        func.nextval(NUMBER_SEQUENCE),
        query.scalar_subquery() if query is not None else null(),
        _SUBSCRIBED,
    )
    for kind, query in [*_DUPLICATE.items(), (None, None)]
}
# The same, taking the Idempotency-Key too (a data-modifying CTE; its RETURNING says whether).
_CLAIM = claim_statement(IDEMPOTENCY_KEYS).cte("claimed")
_NUMBERED_CLAIMING: dict[str | None, Any] = {
    kind: statement.add_columns(exists().select_from(_CLAIM)).add_cte(_CLAIM)
    for kind, statement in _NUMBERED.items()
}


# setval(..., is_called true): the next nextval answers the larger of the two, plus one.
_CONTINUE_NUMBERS = select(
    func.setval(
        NUMBER_SEQUENCE,
        func.greatest(
            bindparam("highest"),
            text("(SELECT last_value FROM service_request_number_seq)"),  # NUMBER_SEQUENCE
        ),
    )
)


class Numbered(NamedTuple):
    number: int
    possible_duplicate_of: str | None
    # Whether a webhook subscription is active (``None``: not asked): when none is, the
    # outbox need not read them again in this transaction.
    subscribed: bool | None
    # Whether the statement took the Idempotency-Key it was given (``None``: none given).
    claimed: bool | None = None


def request_row(values: dict[str, Any]) -> ServiceRequest:
    """A ``ServiceRequest`` from its column values (every one), made the way the ORM makes a
    row it loads (no validation, no defaults: ~200 times cheaper than the constructor). It is
    not in any session."""
    configure_mappers()  # once per process: a no-op afterwards
    row: ServiceRequest = ServiceRequest._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    row.__dict__.update(values)
    return row


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
