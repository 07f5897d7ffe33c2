"""Queries on the organization tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Organization, OrganizationMoveEntry
from zhdj_registry.models.alliances import Alliance, AllianceMember
from zhdj_registry.models.members import Member, OrgMemberCount
from zhdj_registry.models.units import Unit
from zhdj_shared.db import claim_writer
from zhdj_shared.pagination import after_cursor, build_page, decode_cursor
from zhdj_shared.text import name_search


@dataclass(frozen=True)
class OrganizationFilters:
    parent_id: str | None = None
    within: str | None = None  # path prefix of a subtree root (the root included)
    kind: str | None = None
    sector: str | None = None
    area_code: str | None = None
    name: str | None = None  # Chinese substring, or pinyin / initials prefix
    include_dissolved: bool = False
    max_depth: int | None = None


@dataclass(frozen=True)
class DissolveBlockers:
    members: int
    led_alliances: list[str]
    member_of_alliances: list[str]


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, org_id: str) -> Organization | None:
        return await self.session.get(Organization, org_id)

    async def get_many(self, ids: Sequence[str]) -> list[Organization]:
        if not ids:
            return []
        result = await self.session.exec(select(Organization).where(col(Organization.id).in_(ids)))
        return list(result.all())

    def add(self, org: Organization) -> None:
        self.session.add(org)

    async def list_page(
        self, filters: OrganizationFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Organization], str | None]:
        """A page ordered by pinyin then id (the order of a Chinese index, and stable).

        The page's ids first, then its rows: for a subtree the ids come from an index-only
        walk of ``ix_organizations_name_pinyin_id`` (which includes ``path`` and ``status``,
        migration 0008), so the rows of other subtrees passed on the way are never read from
        the table; only the page's own rows are."""
        order = (col(Organization.name_pinyin), col(Organization.id))
        ids = select(Organization.id)
        for condition in self._conditions(filters):
            ids = ids.where(condition)
        if cursor:
            ids = ids.where(after_cursor(order, decode_cursor(cursor, 2)))
        page = ids.order_by(*order).limit(limit + 1).subquery("page")
        query = select(Organization).join(page, page.c.id == col(Organization.id)).order_by(*order)
        result = await self.session.exec(query)
        return build_page(result.all(), limit, lambda o: (o.name_pinyin, o.id))

    def _conditions(self, filters: OrganizationFilters) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if not filters.include_dissolved:
            conditions.append(col(Organization.status) == "active")
        if filters.parent_id is not None:
            conditions.append(col(Organization.parent_id) == filters.parent_id)
        if filters.within is not None:
            conditions.append(col(Organization.path).startswith(filters.within, autoescape=True))
        if filters.kind is not None:
            conditions.append(col(Organization.kind) == filters.kind)
        if filters.sector is not None:
            conditions.append(col(Organization.sector) == filters.sector)
        if filters.area_code is not None:
            conditions.append(col(Organization.area_code) == filters.area_code)
        if filters.max_depth is not None:
            conditions.append(col(Organization.depth) <= filters.max_depth)
        if filters.name:
            conditions.append(
                name_search(
                    col(Organization.name),
                    col(Organization.name_pinyin),
                    col(Organization.name_initials),
                    filters.name,
                )
            )
        return conditions

    async def active_children_count(self, org_id: str) -> int:
        query = (
            select(func.count())
            .select_from(Organization)
            .where(col(Organization.parent_id) == org_id, col(Organization.status) == "active")
        )
        return int((await self.session.exec(query)).one())

    async def dissolve_blockers(self, org_id: str) -> DissolveBlockers:
        """What still depends on ``org_id`` (members on its rolls, alliances it leads or
        belongs to now): an organization is dissolved only once all of that has moved."""
        members = select(func.count()).where(
            col(Member.home_org_id) == org_id, col(Member.left_on).is_(None)
        )
        led = select(Alliance.id).where(
            col(Alliance.lead_org_id) == org_id, col(Alliance.status) != "dissolved"
        )
        joined = (
            select(AllianceMember.alliance_id)
            .join(Alliance, col(Alliance.id) == col(AllianceMember.alliance_id))
            .where(
                col(AllianceMember.org_id) == org_id,
                col(AllianceMember.left_on).is_(None),
                col(Alliance.status) != "dissolved",
            )
        )
        return DissolveBlockers(
            members=int((await self.session.exec(members)).one()),
            led_alliances=sorted((await self.session.exec(led)).all()),
            member_of_alliances=sorted((await self.session.exec(joined)).all()),
        )

    async def active_child_kinds(self, org_id: str) -> list[str]:
        query = (
            select(Organization.kind)
            .where(col(Organization.parent_id) == org_id, col(Organization.status) == "active")
            .distinct()
        )
        return list((await self.session.exec(query)).all())

    async def sibling_named(
        self, parent_id: str | None, name: str, *, exclude_id: str | None = None
    ) -> Organization | None:
        query = select(Organization).where(
            col(Organization.parent_id).is_(None)
            if parent_id is None
            else col(Organization.parent_id) == parent_id,
            col(Organization.name) == name,
            col(Organization.status) == "active",
        )
        if exclude_id is not None:
            query = query.where(col(Organization.id) != exclude_id)
        return (await self.session.exec(query.limit(1))).first()

    async def move_subtree(self, old_path: str, new_path: str, depth_delta: int) -> None:
        """Rewrite a moved subtree's paths, and every copy of them, in a few statements.

        Other tables copy an organization's path for one-scan subtree queries (members' and
        the members rollup's ``org_path``, units' ``supervising_org_path``); a move rewrites
        them here, together.
        """
        await self._replace_prefix(
            Organization, col(Organization.path), old_path, new_path, depth=depth_delta
        )
        await self._replace_prefix(Member, col(Member.org_path), old_path, new_path)
        await self._replace_prefix(OrgMemberCount, col(OrgMemberCount.org_path), old_path, new_path)
        await self._replace_prefix(Unit, col(Unit.supervising_org_path), old_path, new_path)

    async def lock_moves(self) -> None:
        """Serialize moves: the caller's transaction holds the moves log until it commits.

        Taken before the move reads the tree, so a move sees every move committed before it
        (two concurrent moves of overlapping subtrees would otherwise each rewrite from the
        paths they read), and the log's numbers follow commit order (``log_move``). PostgreSQL:
        an ``EXCLUSIVE`` lock of the log, which only plain reads get past (a second move waits
        for the first to commit, the followers' reads do not); SQLite: the database's write
        lock from the first statement.
        """
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        if dialect == "postgresql":
            await self.session.exec(text("LOCK TABLE organization_moves IN EXCLUSIVE MODE"))  # type: ignore[call-overload]
        else:
            await claim_writer(self.session)

    async def log_move(self, org_id: str, old_path: str, new_path: str) -> OrganizationMoveEntry:
        """The move's line in the log, numbered after the last one (under ``lock_moves``)."""
        last = (await self.session.exec(select(func.max(OrganizationMoveEntry.seq)))).one()
        entry = OrganizationMoveEntry(
            seq=(last or 0) + 1, organization_id=org_id, old_path=old_path, new_path=new_path
        )
        self.session.add(entry)
        return entry

    async def moves_after(self, after: int, limit: int) -> list[OrganizationMoveEntry]:
        """Up to ``limit`` lines of the log after ``after``, in order."""
        query = (
            select(OrganizationMoveEntry)
            .where(col(OrganizationMoveEntry.seq) > after)
            .order_by(col(OrganizationMoveEntry.seq))
            .limit(limit)
        )
        return list((await self.session.exec(query)).all())

    async def _replace_prefix(
        self, table: Any, column: Any, old: str, new: str, *, depth: int | None = None
    ) -> None:
        values: dict[Any, Any] = {column: new + func.substr(column, len(old) + 1)}
        if depth is not None:
            values[col(Organization.depth)] = col(Organization.depth) + depth
        statement = (
            update(table)
            .where(column.startswith(old, autoescape=True))
            .values(values)
            .execution_options(synchronize_session=False)
        )
        await self.session.exec(statement)

    async def subtree(
        self, root: Organization, *, max_depth: int, limit: int
    ) -> list[Organization]:
        """Active descendants down to ``max_depth`` levels below ``root`` (root included)."""
        query = (
            select(Organization)
            .where(
                col(Organization.path).startswith(root.path, autoescape=True),
                col(Organization.depth) <= root.depth + max_depth,
                col(Organization.status) == "active",
            )
            .order_by(col(Organization.depth), col(Organization.name_pinyin), col(Organization.id))
            .limit(limit + 1)
        )
        return list((await self.session.exec(query)).all())
