"""The organization tree (党组织).

The tree is stored twice on purpose: ``parent_id`` for integrity and ``path`` (a materialized
path of ids, ``/root/child/self/``) so that a whole subtree, an ancestry check and subtree
statistics are one indexed prefix scan instead of a recursive query.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Integer
from sqlmodel import Field

from zhdj_registry.models.base import RegistryModel
from zhdj_shared.db import UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class Organization(RegistryModel, table=True):
    __tablename__ = "organizations"
    __table_args__ = (
        # text_pattern_ops: LIKE 'prefix%' uses the index whatever the database collation.
        # INCLUDE (PostgreSQL, migration 0005): subtree figures are index-only scans.
        Index(
            "ix_organizations_path",
            "path",
            postgresql_ops={"path": "text_pattern_ops"},
            postgresql_include=["status", "kind", "sector", "id"],
        ),
        Index("ix_organizations_parent_name", "parent_id", "name_pinyin"),
        # INCLUDE (PostgreSQL, migration 0008): a subtree's page is an index-only scan in
        # pinyin order for its ids (OrganizationRepository.list_page).
        Index(
            "ix_organizations_name_pinyin_id",
            "name_pinyin",
            "id",
            postgresql_include=["path", "status"],
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    short_name: str | None = Field(default=None, max_length=64)
    name_pinyin: str = Field(max_length=512)
    name_initials: str = Field(max_length=128, index=True)
    kind: str = Field(max_length=32, index=True)
    sector: str = Field(max_length=32, index=True)
    parent_id: str | None = Field(default=None, foreign_key="organizations.id")
    path: str = Field(max_length=4096)
    depth: int = Field(ge=0)
    area_code: str | None = Field(default=None, max_length=32, index=True)
    address: str | None = Field(default=None, max_length=256)
    contact_phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=2000)
    established_on: date | None = None
    status: str = Field(default="active", max_length=16, index=True)
    dissolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    dissolution_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    def ancestry(self) -> list[str]:
        """Ids from the root down to this organization itself."""
        return [part for part in self.path.split("/") if part]


class OrganizationMoveEntry(RegistryModel, table=True):
    """One line of the moves log: a subtree that moved from ``old_path`` to ``new_path``.

    Written in the move's own unit of work, so a move and its line are stored together or not
    at all. The other services copy paths onto their rows and follow this log to rewrite them
    (``zhdj_shared.moves``, docs/decisions/0009-moves.md). ``seq`` is given under a lock in
    commit order (``OrganizationRepository.log_move``), never by a database sequence: a reader
    that has seen ``seq`` n never finds an n-1 committed later.
    """

    __tablename__ = "organization_moves"

    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    organization_id: str = Field(max_length=64, index=True)
    old_path: str = Field(max_length=4096)
    new_path: str = Field(max_length=4096)
    moved_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
