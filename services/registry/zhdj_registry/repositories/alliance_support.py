"""Queries on an alliance's funds ledger, staff and lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, case, func
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from zhdj_registry.models import (
    AllianceAgreement,
    AllianceProject,
    AllianceStaff,
    FundEntry,
    SupplyDemandItem,
    SupplyDemandMatch,
)
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor

Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True)
class ItemFilters:
    kind: str | None = None
    status: str | None = None
    org_id: str | None = None
    category: str | None = None


def signed_amount() -> ColumnElement[int]:
    return case(
        (col(FundEntry.kind) == "income", col(FundEntry.amount_fen)),
        else_=-col(FundEntry.amount_fen),
    )


class AllianceSupportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: SQLModel) -> None:
        self.session.add(row)

    async def get(self, model: type[Row], alliance_id: str, row_id: str) -> Row | None:
        """A row of ``model`` by id, only when it belongs to the alliance."""
        row = await self.session.get(model, row_id)
        return row if row is not None and getattr(row, "alliance_id", None) == alliance_id else None

    async def page_by_id(
        self,
        query: SelectOfScalar[Row],
        id_column: Any,
        *,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Row], str | None]:
        """A page in creation order (ids are time-ordered)."""
        if cursor:
            query = query.where(after_cursor((id_column,), decode_cursor(cursor, 1)))
        rows = (await self.session.exec(query.order_by(id_column).limit(limit + 1))).all()
        return build_page(rows, limit, lambda r: (r.id,))

    # --- funds -------------------------------------------------------------------------------

    async def ledger_lines(self, alliance_id: str) -> list[tuple[date, int, int]]:
        """(occurred_on, seq, signed amount) of every line, in ledger order."""
        query = (
            select(col(FundEntry.occurred_on), col(FundEntry.seq), signed_amount())
            .where(col(FundEntry.alliance_id) == alliance_id)
            .order_by(col(FundEntry.occurred_on), col(FundEntry.seq))
        )
        return [(d, s, int(a)) for d, s, a in (await self.session.exec(query)).all()]

    async def next_seq(self, alliance_id: str) -> int:
        query = select(func.max(FundEntry.seq)).where(col(FundEntry.alliance_id) == alliance_id)
        return int((await self.session.exec(query)).one() or 0) + 1

    async def ledger_page(
        self, alliance_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[tuple[FundEntry, int]], str | None]:
        """Ledger lines with the running balance after each (a window sum over the ledger)."""
        balance = func.sum(signed_amount()).over(
            order_by=(col(FundEntry.occurred_on), col(FundEntry.seq))
        )
        running = (
            select(col(FundEntry.id).label("id"), balance.label("balance"))
            .where(col(FundEntry.alliance_id) == alliance_id)
            .subquery()
        )
        order = (col(FundEntry.occurred_on), col(FundEntry.seq))
        query = select(FundEntry, running.c.balance).join(running, running.c.id == FundEntry.id)
        if cursor:
            day, seq = decode_cursor(cursor, 2)
            query = query.where(after_cursor(order, [date.fromisoformat(day), seq]))
        rows = (await self.session.exec(query.order_by(*order).limit(limit + 1))).all()
        return build_page(
            [(entry, int(b)) for entry, b in rows],
            limit,
            lambda r: (r[0].occurred_on.isoformat(), r[0].seq),
        )

    async def totals(self, alliance_id: str) -> list[tuple[str, str | None, int, int]]:
        """(kind, source, sum in fen, lines) per kind and source."""
        query = (
            select(FundEntry.kind, FundEntry.source, func.sum(FundEntry.amount_fen), func.count())
            .where(col(FundEntry.alliance_id) == alliance_id)
            .group_by(col(FundEntry.kind), col(FundEntry.source))
        )
        return [
            (k, s, int(a or 0), int(n)) for k, s, a, n in (await self.session.exec(query)).all()
        ]

    # --- staff ----------------------------------------------------------------------------------

    async def staff(self, alliance_id: str, on: date | None) -> list[AllianceStaff]:
        query = select(AllianceStaff).where(col(AllianceStaff.alliance_id) == alliance_id)
        if on is not None:
            query = query.where(col(AllianceStaff.started_on) <= on).where(
                col(AllianceStaff.ended_on).is_(None) | (col(AllianceStaff.ended_on) >= on)
            )
        order = (col(AllianceStaff.started_on), col(AllianceStaff.id))
        return list((await self.session.exec(query.order_by(*order))).all())

    # --- supply-demand ----------------------------------------------------------------------

    async def items_page(
        self, alliance_id: str, filters: ItemFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[SupplyDemandItem], str | None]:
        query = select(SupplyDemandItem).where(col(SupplyDemandItem.alliance_id) == alliance_id)
        for field in ("kind", "status", "org_id", "category"):
            value = getattr(filters, field)
            if value is not None:
                query = query.where(getattr(SupplyDemandItem, field) == value)
        return await self.page_by_id(query, col(SupplyDemandItem.id), limit=limit, cursor=cursor)

    async def item_for_update(self, alliance_id: str, item_id: str) -> SupplyDemandItem | None:
        query = (
            select(SupplyDemandItem)
            .where(col(SupplyDemandItem.id) == item_id)
            .where(col(SupplyDemandItem.alliance_id) == alliance_id)
            .with_for_update()
        )
        return (await self.session.exec(query)).first()

    async def matches_page(
        self, alliance_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[SupplyDemandMatch], str | None]:
        query = select(SupplyDemandMatch).where(col(SupplyDemandMatch.alliance_id) == alliance_id)
        return await self.page_by_id(query, col(SupplyDemandMatch.id), limit=limit, cursor=cursor)

    async def match_of(self, item_id: str) -> SupplyDemandMatch | None:
        query = select(SupplyDemandMatch).where(
            (col(SupplyDemandMatch.supply_id) == item_id)
            | (col(SupplyDemandMatch.demand_id) == item_id)
        )
        return (await self.session.exec(query)).first()

    # --- projects and agreements --------------------------------------------------------------

    async def projects_page(
        self, alliance_id: str, status: str | None, *, limit: int, cursor: str | None
    ) -> tuple[list[AllianceProject], str | None]:
        query = select(AllianceProject).where(col(AllianceProject.alliance_id) == alliance_id)
        if status is not None:
            query = query.where(col(AllianceProject.status) == status)
        return await self.page_by_id(query, col(AllianceProject.id), limit=limit, cursor=cursor)

    async def agreements_page(
        self, alliance_id: str, kind: str | None, *, limit: int, cursor: str | None
    ) -> tuple[list[AllianceAgreement], str | None]:
        query = select(AllianceAgreement).where(col(AllianceAgreement.alliance_id) == alliance_id)
        if kind is not None:
            query = query.where(col(AllianceAgreement.kind) == kind)
        return await self.page_by_id(query, col(AllianceAgreement.id), limit=limit, cursor=cursor)


def org_ids_of(rows: Sequence[Any], *fields: str) -> list[str]:
    """Every organization id named in ``fields`` of ``rows`` (for one batched lookup)."""
    ids: list[str] = []
    for row in rows:
        for field in fields:
            value = getattr(row, field)
            if isinstance(value, list):
                ids.extend(value)
            elif value:
                ids.append(value)
    return ids
