"""Party members (党员), their dated positions (职务) and transfers (组织关系转接).

``Member.org_path`` copies the home organization's materialized path: a subtree's members
(listings, counts by district) are then one indexed prefix scan on ``members`` alone, without a
join through ``organizations``. Two writers keep it right: a transfer sets it with the new home,
and ``OrganizationRepository.move_subtree`` rewrites it (with every other copied path) when an
organization moves to another parent.

``OrgMemberCount`` is a rollup of the members on the rolls (``left_on`` null) per home
organization and status, kept exact by database triggers on ``members`` (migration 0006) so that
every writer (the services, bulk imports, ``COPY``) maintains it without knowing of it: a
subtree's members today are then a sum over its organizations rather than a count of its members.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Integer, text
from sqlmodel import Field

from zhdj_registry.models.base import RegistryModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class Member(RegistryModel, table=True):
    __tablename__ = "members"
    __table_args__ = (
        Index("ix_members_org_path", "org_path", postgresql_ops={"org_path": "text_pattern_ops"}),
        # Subtree member figures by index-only scans (migration 0005; PostgreSQL only).
        Index(
            "ix_members_org_path_figures",
            "org_path",
            postgresql_ops={"org_path": "text_pattern_ops"},
            postgresql_include=["status", "joined_on", "left_on", "home_org_id"],
        ).ddl_if(dialect="postgresql"),
        Index("ix_members_home_org_name", "home_org_id", "name_pinyin", "id"),
        Index("ix_members_name_pinyin_id", "name_pinyin", "id"),
        Index("uq_members_id_number", "id_number", unique=True),
        Index("uq_members_user_id", "user_id", unique=True),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    name_pinyin: str = Field(max_length=256)
    name_initials: str = Field(max_length=64, index=True)
    gender: str | None = Field(default=None, max_length=8)
    birth_date: date | None = None
    home_org_id: str = Field(foreign_key="organizations.id")
    org_path: str = Field(max_length=4096)
    status: str = Field(max_length=16, index=True)
    joined_on: date | None = None
    converted_on: date | None = None
    phone: str | None = Field(default=None, max_length=32)
    id_number: str | None = Field(default=None, max_length=18)
    address: str | None = Field(default=None, max_length=256)
    user_id: str | None = Field(default=None, max_length=64)
    left_on: date | None = None
    left_reason: str | None = Field(default=None, max_length=32)
    left_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    def ancestry(self) -> list[str]:
        """Ids from the root down to the home organization."""
        return [part for part in self.org_path.split("/") if part]


class Position(RegistryModel, table=True):
    """A member holding a post in an organization from ``start_on`` to ``end_on`` (null: now)."""

    __tablename__ = "positions"
    __table_args__ = (
        Index("ix_positions_org_kind", "org_id", "kind", "start_on"),
        Index("ix_positions_member", "member_id", "start_on"),
        # The database's own guard against two concurrent appointments (the service checks
        # dated overlaps first and answers 409; these catch the race).
        Index(
            "uq_positions_current_holder",
            "org_id",
            "kind",
            "member_id",
            unique=True,
            postgresql_where=text("end_on IS NULL"),
            sqlite_where=text("end_on IS NULL"),
        ),
        Index(
            "uq_positions_current_single",
            "org_id",
            "kind",
            unique=True,
            postgresql_where=text("end_on IS NULL AND kind IN ('secretary', 'group_leader')"),
            sqlite_where=text("end_on IS NULL AND kind IN ('secretary', 'group_leader')"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    member_id: str = Field(foreign_key="members.id")
    org_id: str = Field(foreign_key="organizations.id")
    kind: str = Field(max_length=48)
    start_on: date
    end_on: date | None = None
    appointed_by: str = Field(max_length=128)
    ended_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Transfer(RegistryModel, table=True):
    """One move of a member's organization relation; rows are never changed afterwards."""

    __tablename__ = "member_transfers"
    __table_args__ = (Index("ix_member_transfers_member", "member_id", "transferred_on", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    member_id: str = Field(foreign_key="members.id")
    from_org_id: str = Field(foreign_key="organizations.id", index=True)
    to_org_id: str = Field(foreign_key="organizations.id", index=True)
    transferred_on: date
    reason: str = Field(max_length=500)
    ended_position_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    performed_by: str = Field(max_length=128)
    performed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class OrgMemberCount(RegistryModel, table=True):
    """Members with ``left_on`` null per home organization and status (triggers, 0006, 0007).

    Written only by the triggers on ``members``: never by the application. A row whose count
    fell to zero stays (at zero).
    """

    __tablename__ = "org_member_counts"
    __table_args__ = (
        # A subtree's rollup rows by one index-only prefix scan (migration 0007).
        Index(
            "ix_org_member_counts_org_path",
            "org_path",
            postgresql_ops={"org_path": "text_pattern_ops"},
            postgresql_include=["status", "members", "org_id"],
        ),
    )

    org_id: str = Field(foreign_key="organizations.id", primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=16)
    members: int = Field(sa_column=Column(Integer, nullable=False))
    # The organization's path, copied by the triggers like ``Member.org_path`` (migration 0007).
    org_path: str = Field(default="", max_length=4096)
