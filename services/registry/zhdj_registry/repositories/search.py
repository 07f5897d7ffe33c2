"""Name search across organizations, units and alliances (Chinese, full pinyin, initials).

Each searchable table has ``name``, ``name_pinyin`` and ``name_initials`` (computed on write by
``zhdj_shared.text.pinyin_key``). One query per type ranks its matches in SQL:

0 exact name, 1 name prefix, 2 initials prefix, 3 full-pinyin prefix, 4 substring (of the name;
for pinyin queries of three letters or more also of the initials or the pinyin).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, literal, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Alliance, Organization, Unit
from zhdj_shared.text import is_pinyin_query, like_escape, normalize

EXACT, NAME_PREFIX, INITIALS_PREFIX, PINYIN_PREFIX, SUBSTRING = range(5)
MIN_PINYIN_SUBSTRING = 3


@dataclass(frozen=True)
class Candidate:
    type: str
    row: Any  # Organization | Unit | Alliance
    rank: int


@dataclass(frozen=True)
class Target:
    """One searchable table: its model, what "active" means and how ``within`` applies."""

    name: str
    model: type[SQLModel]
    active: Callable[[], ColumnElement[bool]]
    within: Callable[[str], ColumnElement[bool]]


def _alliance_within(path: str) -> ColumnElement[bool]:
    lead_path = (
        select(Organization.path)
        .where(col(Organization.id) == col(Alliance.lead_org_id))
        .scalar_subquery()
    )
    return lead_path.startswith(path, autoescape=True)


TARGETS: dict[str, Target] = {
    "organization": Target(
        "organization",
        Organization,
        lambda: col(Organization.status) == "active",
        lambda path: col(Organization.path).startswith(path, autoescape=True),
    ),
    "unit": Target(
        "unit",
        Unit,
        lambda: col(Unit.status) == "active",
        lambda path: col(Unit.supervising_org_path).startswith(path, autoescape=True),
    ),
    "alliance": Target(
        "alliance",
        Alliance,
        lambda: col(Alliance.status) != "dissolved",
        _alliance_within,
    ),
}


@dataclass(frozen=True)
class Query:
    text: str  # normalized
    letters: str | None  # lowercase pinyin letters without spaces, when the text is Latin

    @classmethod
    def parse(cls, raw: str) -> Query:
        text = normalize(raw)
        letters = text.lower().replace(" ", "") if is_pinyin_query(text) else None
        return cls(text=text, letters=letters)


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(
        self, target: Target, query: Query, *, within: str | None, limit: int
    ) -> list[Candidate]:
        model: Any = target.model
        rank = _rank(model, query).label("rank")
        statement = (
            select(model, rank)
            .where(target.active(), _matches(model, query))
            .order_by(rank, func.length(model.name), model.name_pinyin, model.id)
            .limit(limit)
        )
        if within is not None:
            statement = statement.where(target.within(within))
        rows = (await self.session.exec(statement)).all()
        return [Candidate(target.name, row, int(r)) for row, r in rows]

    async def initials_containing(
        self, target: Target, patterns: Sequence[str], *, within: str | None, limit: int
    ) -> list[Any]:
        """Rows whose initials contain any of ``patterns`` (heteronym alternatives)."""
        model: Any = target.model
        conditions = [
            col(model.name_initials).like(f"%{like_escape(p)}%", escape="\\") for p in patterns
        ]
        statement = (
            select(model)
            .where(target.active(), or_(*conditions))
            .order_by(func.length(model.name), model.name_pinyin, model.id)
            .limit(limit)
        )
        if within is not None:
            statement = statement.where(target.within(within))
        return list((await self.session.exec(statement)).all())

    async def org_names(self, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        statement = select(Organization.id, Organization.name).where(
            col(Organization.id).in_(sorted(set(ids)))
        )
        return dict((await self.session.exec(statement)).all())


def _like(column: Any, pattern: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.like(pattern, escape="\\")
    return result


def _tiers(model: Any, query: Query) -> list[tuple[int, ColumnElement[bool]]]:
    text = like_escape(query.text)
    tiers: list[tuple[int, ColumnElement[bool]]] = [
        (EXACT, col(model.name) == query.text),
        (NAME_PREFIX, _like(model.name, f"{text}%")),
    ]
    substring: list[ColumnElement[bool]] = [_like(model.name, f"%{text}%")]
    if query.letters:
        letters = like_escape(query.letters)
        tiers.append((INITIALS_PREFIX, _like(model.name_initials, f"{letters}%")))
        tiers.append((PINYIN_PREFIX, _like(model.name_pinyin, f"{letters}%")))
        if len(query.letters) >= MIN_PINYIN_SUBSTRING:
            substring.append(_like(model.name_initials, f"%{letters}%"))
            substring.append(_like(model.name_pinyin, f"%{letters}%"))
    tiers.append((SUBSTRING, or_(*substring)))
    return tiers


def _rank(model: Any, query: Query) -> Any:
    return case(*[(cond, literal(tier)) for tier, cond in _tiers(model, query)], else_=literal(9))


def _matches(model: Any, query: Query) -> ColumnElement[bool]:
    conditions = [cond for _tier, cond in _tiers(model, query)]
    return or_(false(), *conditions)
