"""Aggregate queries for the registry's statistics (the "×" figures of the seed's report).

Every figure is scoped by a materialized-path prefix (the whole city when ``path`` is None), so a
district's figures are indexed range scans rather than walks of the tree.

All the figures of a scope come from ONE statement (:func:`_statement`, built once per shape and
run with parameters): a ``UNION ALL`` of small aggregates, each row tagged with its section. One
round trip, one planning and one pass through the ORM instead of eight of each (at city scale,
bench/registry_scale.py, those were about half of a district's answer), and the organizations of
the scope are scanned once for their kinds, sectors and alliance coverage together. What else
PostgreSQL was made to do differently, each measured on the benchmark's district:

* coverage is a ``LEFT JOIN`` to the covered set, not ``IN (subquery)``: PostgreSQL planned an
  ``IN`` inside an aggregate's ``FILTER`` as a per-row subplan rescanning the ~3,000 covered
  organizations for each of a district's ~10,000 organizations and ~4,500 rollup rows (most of
  the old statements' time); the join hashes them once. The covered set is a ``UNION`` (each
  organization once), so the join never counts a row twice. It is a derived table in each of
  its two joins rather than one common table expression: PostgreSQL has no statistics on a
  CTE's rows and, fearing a skewed hash, hashed the other side (100,000 organizations for the
  city) instead;
* the scope is a range of paths (:func:`path_range`), not ``LIKE 'prefix%'``: no per-row
  ``LIKE`` recheck, and the statement's plan no longer depends on the prefix's value, so
  PostgreSQL can keep one generic plan instead of planning each request;
* the alliances led from the scope check their lead's path by primary key (a few hundred
  probes) instead of joining every organization of the scope; their status on the date is one
  more probe each, of their status changes after it (``ix_alliance_status_changes_alliance_id``).

Alliances count as of the date: founded by then and not dissolved by the end of that day (a
dissolution is final, so the alliance's ``status_changed_at`` dates it), under the status they
had that day; designations count once made by the date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    literal_column,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Organization, Unit
from zhdj_registry.models.alliances import (
    Alliance,
    AllianceDesignation,
    AllianceMember,
    AllianceStatusChange,
)
from zhdj_registry.models.members import Member, OrgMemberCount
from zhdj_registry.repositories.alliances import member_on
from zhdj_registry.repositories.units import work_covered
from zhdj_shared.clock import CHINA_TZ
from zhdj_shared.db import UTCDateTime


def path_range(prefix: str) -> tuple[str, str]:
    """``[low, high)``: exactly the strings starting with ``prefix`` in byte (code point) order:
    ``prefix`` itself, up to its last character's successor (``/a/b/`` -> ``/a/b0``)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _in_scope(column: Any, dialect: str, scoped: bool) -> ColumnElement[bool]:
    """The column's path in the scope given by the ``low`` and ``high`` parameters (see
    :func:`path_range`), or not null for the whole city.

    A range, not ``LIKE 'prefix%'``: PostgreSQL compares byte-wise with ``~>=~`` and ``~<~``,
    the operators of the ``text_pattern_ops`` path indexes, whatever the collation; SQLite's
    default ``BINARY`` collation compares bytes too. Either is an index range without the
    per-row ``LIKE`` recheck, and with parameters PostgreSQL can keep one generic plan of the
    statement instead of planning it again for each prefix (custom plans, ~2 ms a request)."""
    column = column if isinstance(column, ColumnElement) else col(column)
    if not scoped:
        not_null: ColumnElement[bool] = column.is_not(None)
        return not_null
    low, high = bindparam("low", type_=String), bindparam("high", type_=String)
    if dialect == "postgresql":
        return and_(
            column.op("~>=~", is_comparison=True)(low),
            column.op("~<~", is_comparison=True)(high),
        )
    return and_(column >= low, column < high)


def _member_in_force(on: Any) -> ColumnElement[bool]:
    """Members on the rolls on ``on``: joined by then (or join date unknown) and not yet left."""
    return and_(
        or_(col(Member.joined_on).is_(None), col(Member.joined_on) <= on),
        or_(col(Member.left_on).is_(None), col(Member.left_on) > on),
    )


def day_after_in_utc(on: date) -> datetime:
    """The first instant after the business day ``on`` (midnight in China), in UTC: what a
    stored timestamp is compared with to ask "had it happened by the end of ``on``?"."""
    return datetime.combine(on + timedelta(days=1), time(), CHINA_TZ).astimezone(UTC)


def _live_on(on: Any, cut: Any) -> ColumnElement[bool]:
    """Alliances live on ``on``: founded by then and not dissolved by the end of that day.

    Dissolution is final, so a dissolved alliance's ``status_changed_at`` is when it was
    dissolved; ``cut`` is the first instant after ``on`` (:func:`day_after_in_utc`). A
    dissolved alliance without that time (none the API writes) counts as dissolved."""
    return and_(
        col(Alliance.founded_on) <= on,
        or_(col(Alliance.status) != "dissolved", col(Alliance.status_changed_at) >= cut),
    )


def _status_on(cut: Any) -> ColumnElement[Any]:
    """The alliance's status on the day before ``cut``: where the first later change came from
    (every change records its ``from_status``), else its status now."""
    change = AllianceStatusChange
    first_later = (
        select(col(change.from_status))
        .where(col(change.alliance_id) == col(Alliance.id), col(change.changed_at) >= cut)
        .order_by(col(change.changed_at), col(change.id))
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(first_later, col(Alliance.status))


def _covered_org_ids(on: Any, cut: Any) -> CompoundSelect[Any]:
    """Organizations in a live alliance on ``on``: its current members and its lead (a
    ``UNION``: each organization once). The lead is today's: a handed-over lead is not dated."""
    members: Select[Any] = (
        select(col(AllianceMember.org_id).label("org_id"))
        .join(Alliance, col(Alliance.id) == col(AllianceMember.alliance_id))
        .where(_live_on(on, cut), member_on(on))
    )
    leads: Select[Any] = select(col(Alliance.lead_org_id).label("org_id")).where(_live_on(on, cut))
    return union(members, leads)


def _designated_by(on: Any, year: Any) -> ColumnElement[bool]:
    """Designations made by ``on``: dated on or before it, or undated and for its year or an
    earlier one (``year`` is ``on``'s)."""
    designated_on, for_year = col(AllianceDesignation.designated_on), col(AllianceDesignation.year)
    return or_(designated_on <= on, and_(designated_on.is_(None), for_year <= year))


# Sections of the statement's rows: (section, key, key2, n, covered, work).
ORGANIZATIONS = "org"  # kind, sector, active organizations, of which covered by alliances
MEMBERS = "mem"  # status, -, members in force, of whom covered by alliances
ALLIANCES = "all"  # pattern, status that day, alliances live on ``on`` led from the scope
SITES = "sit"  # -, -, of those, the ones designated by ``on``
SITES_BY_YEAR = "yea"  # year, -, of those, the ones designated for that year by ``on``
UNITS = "uni"  # sector, -, active units, organization covered, work covered


@dataclass
class ScopeFigures:
    """The raw figures of a scope, as counted by :meth:`StatisticsRepository.figures`."""

    # (kind, sector, active organizations, of which in a live alliance)
    organizations: list[tuple[str, str, int, int]] = field(default_factory=list)
    members: list[tuple[str, int, int]] = field(default_factory=list)  # (status, n, covered)
    alliances: list[tuple[str, str, int]] = field(default_factory=list)  # (pattern, status, n)
    demonstration_sites: int = 0
    demonstration_sites_by_year: list[tuple[int, int]] = field(default_factory=list)
    units: list[tuple[str, int, int, int]] = field(default_factory=list)  # (sector, n, org, work)


def _row(section: str, key: Any, key2: Any, n: Any, covered: Any = 0, work: Any = 0) -> list[Any]:
    """The select list of one section, in the union's columns and types."""

    def number(value: Any) -> Any:
        return literal_column(str(value), Integer) if isinstance(value, int) else value

    return [
        literal_column(f"'{section}'", String).label("section"),
        cast(null() if key is None else key, String).label("key"),
        cast(null() if key2 is None else key2, String).label("key2"),
        cast(n, Integer).label("n"),
        cast(number(covered), Integer).label("covered"),
        cast(number(work), Integer).label("work"),
    ]


@cache
def _statement(dialect: str, scoped: bool, members_today: bool) -> CompoundSelect[Any]:
    """The one statement of a scope's figures (built once per shape; parameters ``on`` and,
    when ``scoped``, ``low`` and ``high``)."""
    on = bindparam("on", type_=Date)
    cut = bindparam("cut", type_=UTCDateTime())  # the first instant after ``on``
    year = bindparam("year", type_=Integer)  # ``on``'s year
    covered = _covered_org_ids(on, cut).subquery("covered")
    # The alliances led from the scope and live on ``on``, with their status that day.
    alliances_led: Select[Any] = select(
        col(Alliance.id).label("id"),
        col(Alliance.pattern).label("pattern"),
        _status_on(cut).label("status"),
    ).where(_live_on(on, cut))
    if scoped:
        # The lead's path by its primary key, per alliance (a correlated subquery: a few
        # hundred index probes, where a join hashes every organization of the scope).
        lead_path = (
            select(col(Organization.path))
            .where(col(Organization.id) == col(Alliance.lead_org_id))
            .scalar_subquery()
        )
        alliances_led = alliances_led.where(_in_scope(lead_path, dialect, scoped))
    led = alliances_led.cte("led")
    kind, sector = col(Organization.kind), col(Organization.sector)
    organizations = (
        select(*_row(ORGANIZATIONS, kind, sector, func.count(), func.count(covered.c.org_id)))
        .select_from(Organization)
        .outerjoin(covered, covered.c.org_id == col(Organization.id))
        .where(
            col(Organization.status) == "active",
            _in_scope(Organization.path, dialect, scoped),
        )
        .group_by(kind, sector)
    )
    members = (
        _members_today(dialect, scoped, covered)
        if members_today
        else _members_on(dialect, scoped, on, covered)
    )
    alliances = select(*_row(ALLIANCES, led.c.pattern, led.c.status, func.count())).group_by(
        led.c.pattern, led.c.status
    )
    designated = col(AllianceDesignation.alliance_id)
    sites = (
        select(*_row(SITES, None, None, func.count(distinct(designated))))
        .select_from(AllianceDesignation)
        .join(led, led.c.id == designated)
        .where(_designated_by(on, year))
    )
    for_year = col(AllianceDesignation.year)
    sites_by_year = (
        select(*_row(SITES_BY_YEAR, for_year, None, func.count(distinct(designated))))
        .select_from(AllianceDesignation)
        .join(led, led.c.id == designated)
        .where(_designated_by(on, year))
        .group_by(for_year)
    )
    units = (
        select(
            *_row(
                UNITS,
                col(Unit.sector),
                None,
                func.count(),
                func.sum(case((col(Unit.own_org_id).is_not(None), 1), else_=0)),
                func.sum(case((work_covered(), 1), else_=0)),
            )
        )
        .where(col(Unit.status) == "active")
        .group_by(col(Unit.sector))
    )
    if scoped:
        units = units.where(_in_scope(Unit.supervising_org_path, dialect, scoped))
    return union_all(organizations, members, alliances, sites, sites_by_year, units)


def _members_today(dialect: str, scoped: bool, covered: Any) -> Select[Any]:
    """Members today from the rollup ``org_member_counts``: a sum over the scope's
    organizations (an index-only prefix scan of ``ix_org_member_counts_org_path``) instead of a
    count of its members.

    Exact because no member's ``joined_on`` or ``left_on`` lies after today (the members service
    and the import refuse future dates): today, a member is in force exactly when ``left_on`` is
    null, and the rollup counts those by home organization, whose path the member's
    ``org_path`` and the rollup's ``org_path`` copy."""
    members, status = col(OrgMemberCount.members), col(OrgMemberCount.status)
    in_alliance = func.sum(members).filter(covered.c.org_id.is_not(None))
    return (
        select(*_row(MEMBERS, status, None, func.sum(members), in_alliance))
        .select_from(OrgMemberCount)
        .outerjoin(covered, covered.c.org_id == col(OrgMemberCount.org_id))
        .where(members > 0, _in_scope(OrgMemberCount.org_path, dialect, scoped))
        .group_by(status)
    )


def _members_on(dialect: str, scoped: bool, on: Any, covered: Any) -> Select[Any]:
    """Members in force on ``on`` by one scan of the scope's members (an index-only scan on
    PostgreSQL: ``ix_members_org_path_figures``)."""
    status = col(Member.status)
    return (
        select(*_row(MEMBERS, status, None, func.count(), func.count(covered.c.org_id)))
        .select_from(Member)
        .outerjoin(covered, covered.c.org_id == col(Member.home_org_id))
        .where(_in_scope(Member.org_path, dialect, scoped), _member_in_force(on))
        .group_by(status)
    )


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def figures(self, path: str | None, on: date, *, members_today: bool) -> ScopeFigures:
        """Every figure of the scope (the subtree at ``path``, or the city) on ``on``, in one
        statement (see the module docstring).

        ``members_today``: members from the rollup ``org_member_counts`` (exact for today
        only, see :func:`_members_today`); otherwise by a scan of the scope's members."""
        dialect = self.session.sync_session.get_bind().dialect.name
        statement = _statement(dialect, path is not None, members_today)
        params: dict[str, Any] = {"on": on, "cut": day_after_in_utc(on), "year": on.year}
        if path is not None:
            params["low"], params["high"] = path_range(path)
        result = await self.session.exec(statement, params=params)  # type: ignore[call-overload]
        return _collect(result.all())


def _collect(rows: Sequence[Any]) -> ScopeFigures:
    figures = ScopeFigures()
    for section, key, key2, n, covered, work in rows:
        n, covered, work = int(n or 0), int(covered or 0), int(work or 0)
        if section == ORGANIZATIONS:
            figures.organizations.append((key, key2, n, covered))
        elif section == MEMBERS:
            figures.members.append((key, n, covered))
        elif section == ALLIANCES:
            figures.alliances.append((key, key2, n))
        elif section == SITES:
            figures.demonstration_sites = n
        elif section == SITES_BY_YEAR:
            figures.demonstration_sites_by_year.append((int(key), n))
        elif section == UNITS:
            figures.units.append((key, n, covered, work))
    figures.demonstration_sites_by_year.sort()
    return figures
