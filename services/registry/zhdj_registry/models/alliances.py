"""Alliances (党建联合体) and the records of their four mechanisms.

Members (党员) are referenced by a plain indexed ``member_id`` string plus the person's name,
without a foreign key, so that this domain does not depend on the members table's migrations.

Date conventions: a membership or venue link is *events* (``joined_on`` / ``left_on``; the org
is a member from ``joined_on`` up to the day before ``left_on``); appointments, staff and
convener periods are *terms* with an inclusive end date (``ended_on`` / ``end_on`` is the last
day held).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field

from zhdj_registry.models.base import RegistryModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Alliance(RegistryModel, table=True):
    __tablename__ = "alliances"
    __table_args__ = (Index("ix_alliances_name_pinyin_id", "name_pinyin", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    name_pinyin: str = Field(max_length=512)
    name_initials: str = Field(max_length=128, index=True)
    pattern: str = Field(max_length=48, index=True)
    lead_org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    area_code: str | None = Field(default=None, max_length=32, index=True)
    area_name: str | None = Field(default=None, max_length=128)
    founded_on: date
    description: str | None = Field(default=None, max_length=2000)
    status: str = Field(default="active", max_length=32, index=True)
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_by: str = Field(max_length=128)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class AllianceStatusChange(RegistryModel, table=True):
    __tablename__ = "alliance_status_changes"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    from_status: str = Field(max_length=32)
    to_status: str = Field(max_length=32)
    reason: str = Field(max_length=500)
    changed_by: str = Field(max_length=128)
    changed_at: datetime = _created()


class AllianceDesignation(RegistryModel, table=True):
    """A 融合党建精品示范点 designation for one year."""

    __tablename__ = "alliance_designations"
    __table_args__ = (UniqueConstraint("alliance_id", "year"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    year: int = Field(index=True)
    title: str = Field(max_length=128)
    designated_on: date | None = None
    designated_by: str = Field(max_length=128)
    created_at: datetime = _created()


class AllianceMember(RegistryModel, table=True):
    """One dated membership of an organization; a rejoin is a new row."""

    __tablename__ = "alliance_members"
    __table_args__ = (
        Index("ix_alliance_members_alliance_org", "alliance_id", "org_id"),
        # The database's own guard: one open membership per organization and alliance.
        Index(
            "uq_alliance_members_open",
            "alliance_id",
            "org_id",
            unique=True,
            sqlite_where=text("left_on IS NULL"),
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64)
    org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    joined_on: date
    left_on: date | None = None
    leave_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = _created()


class AllianceChain(RegistryModel, table=True):
    __tablename__ = "alliance_chains"
    __table_args__ = (UniqueConstraint("alliance_id", "name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    name: str = Field(max_length=64)
    kind: str = Field(default="other", max_length=32)
    lead_org_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=64)
    description: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _created()


class AllianceChainMember(RegistryModel, table=True):
    __tablename__ = "alliance_chain_members"
    __table_args__ = (UniqueConstraint("chain_id", "org_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    chain_id: str = Field(foreign_key="alliance_chains.id", max_length=64, index=True)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    org_id: str = Field(foreign_key="organizations.id", max_length=64)
    created_at: datetime = _created()


class AllianceAppointment(RegistryModel, table=True):
    """A seat in the leadership team (班子), held on behalf of a home organization (交叉任职)."""

    __tablename__ = "alliance_appointments"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    member_id: str = Field(max_length=64, index=True)
    person_name: str = Field(max_length=64)
    role: str = Field(max_length=32)
    home_org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    started_on: date
    ended_on: date | None = None
    created_at: datetime = _created()


class ConvenerPeriod(RegistryModel, table=True):
    """One period of the rotating convener (轮值召集人), ``start_on``..``end_on`` inclusive."""

    __tablename__ = "alliance_convener_periods"
    __table_args__ = (Index("ix_alliance_convener_periods_span", "alliance_id", "start_on"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64)
    start_on: date
    end_on: date
    org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    member_id: str | None = Field(default=None, max_length=64, index=True)
    person_name: str | None = Field(default=None, max_length=64)
    created_at: datetime = _created()


class FundEntry(RegistryModel, table=True):
    """An append-only ledger line in integer fen; ``seq`` orders lines of the same day."""

    __tablename__ = "alliance_fund_entries"
    __table_args__ = (
        UniqueConstraint("alliance_id", "seq"),
        Index("ix_alliance_fund_entries_order", "alliance_id", "occurred_on", "seq"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64)
    seq: int
    kind: str = Field(max_length=16)
    source: str | None = Field(default=None, max_length=32)
    amount_fen: int = Field(gt=0, sa_type=BigInteger)
    occurred_on: date
    description: str = Field(max_length=500)
    contributor_org_id: str | None = Field(
        default=None, foreign_key="organizations.id", max_length=64
    )
    recorded_by: str = Field(max_length=128)
    created_at: datetime = _created()


class AllianceStaff(RegistryModel, table=True):
    """A full-time party-affairs worker (专职党务工作者) of the alliance."""

    __tablename__ = "alliance_staff"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    member_id: str = Field(max_length=64, index=True)
    person_name: str = Field(max_length=64)
    home_org_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=64)
    engagement: str = Field(max_length=32)
    duty: str | None = Field(default=None, max_length=128)
    contact_phone: str | None = Field(default=None, max_length=32)
    started_on: date
    ended_on: date | None = None
    created_at: datetime = _created()


class SupplyDemandItem(RegistryModel, table=True):
    __tablename__ = "alliance_supply_demand_items"
    __table_args__ = (Index("ix_alliance_sd_items_alliance_status", "alliance_id", "status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64)
    kind: str = Field(max_length=16)
    org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    category: str = Field(max_length=32)
    title: str = Field(max_length=128)
    description: str | None = Field(default=None, max_length=2000)
    status: str = Field(default="open", max_length=16)
    created_by: str = Field(max_length=128)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class SupplyDemandMatch(RegistryModel, table=True):
    __tablename__ = "alliance_supply_demand_matches"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    supply_id: str = Field(
        foreign_key="alliance_supply_demand_items.id", max_length=64, unique=True
    )
    demand_id: str = Field(
        foreign_key="alliance_supply_demand_items.id", max_length=64, unique=True
    )
    note: str | None = Field(default=None, max_length=500)
    matched_by: str = Field(max_length=128)
    matched_at: datetime = _created()


class AllianceProject(RegistryModel, table=True):
    """An entry of the project list (项目清单); progress notes are a JSON list, replaced whole."""

    __tablename__ = "alliance_projects"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    name: str = Field(max_length=128)
    lead_org_id: str = Field(foreign_key="organizations.id", max_length=64, index=True)
    start_on: date | None = None
    end_on: date | None = None
    status: str = Field(default="planned", max_length=16)
    description: str | None = Field(default=None, max_length=2000)
    progress: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    created_at: datetime = _created()
    updated_at: datetime = _created()


class AllianceAgreement(RegistryModel, table=True):
    """A co-building agreement (共建协议) or a pledge (承诺书)."""

    __tablename__ = "alliance_agreements"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    alliance_id: str = Field(foreign_key="alliances.id", max_length=64, index=True)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=128)
    party_org_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    signed_on: date
    content: str | None = Field(default=None, max_length=10000)
    file_ref: str | None = Field(default=None, max_length=512)
    created_by: str = Field(max_length=128)
    created_at: datetime = _created()
