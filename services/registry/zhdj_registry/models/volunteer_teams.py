"""Party-member volunteer teams (志愿服务队), their posts (志愿服务岗) and claims (认领).

A team belongs to exactly one organization or one alliance; ``home_org_id`` is that organization
or the alliance's lead organization, so that "teams within a subtree" is one indexed join.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field

from zhdj_registry.models.base import RegistryModel
from zhdj_shared.db import UTCDateTime, utcnow
from zhdj_shared.ids import new_id


class VolunteerTeam(RegistryModel, table=True):
    __tablename__ = "volunteer_teams"
    __table_args__ = (
        CheckConstraint("(org_id IS NULL) <> (alliance_id IS NULL)", name="exactly_one_owner"),
        Index("ix_volunteer_teams_name_pinyin_id", "name_pinyin", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    name_pinyin: str = Field(max_length=512)
    name_initials: str = Field(max_length=128, index=True)
    org_id: str | None = Field(
        default=None, foreign_key="organizations.id", max_length=64, index=True
    )
    alliance_id: str | None = Field(
        default=None, foreign_key="alliances.id", max_length=64, index=True
    )
    home_org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    description: str | None = Field(default=None, max_length=2000)
    leader_member_id: str | None = Field(default=None, max_length=64)
    leader_name: str | None = Field(default=None, max_length=64)
    status: str = Field(default="active", max_length=16, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class VolunteerPost(RegistryModel, table=True):
    __tablename__ = "volunteer_posts"
    __table_args__ = (Index("ix_volunteer_posts_kind_team", "kind", "team_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    team_id: str = Field(foreign_key="volunteer_teams.id", max_length=64, index=True)
    kind: str = Field(max_length=32)
    name: str = Field(max_length=128)
    capacity: int = Field(ge=1)
    description: str | None = Field(default=None, max_length=1000)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class VolunteerClaim(RegistryModel, table=True):
    """A member's claim of a post; active while ``released_at`` is null."""

    __tablename__ = "volunteer_claims"
    __table_args__ = (
        Index(
            "uq_volunteer_claims_active",
            "post_id",
            "member_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    post_id: str = Field(foreign_key="volunteer_posts.id", max_length=64, index=True)
    team_id: str = Field(foreign_key="volunteer_teams.id", max_length=64, index=True)
    member_id: str = Field(max_length=64, index=True)
    person_name: str = Field(max_length=64)
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    release_reason: str | None = Field(default=None, max_length=500)
