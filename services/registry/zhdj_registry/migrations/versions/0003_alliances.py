"""alliances, venues and volunteer teams

Revision ID: 0003_alliances
Revises: 0001
Create Date: 2026-11-27 18:25:18.771330
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import zhdj_shared.db

revision: str = "0003_alliances"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alliances",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("name_pinyin", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("name_initials", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("pattern", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("lead_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("area_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("status_changed_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_org_id"],
            ["organizations.id"],
            name=op.f("fk_alliances_lead_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliances")),
    )
    with op.batch_alter_table("alliances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alliances_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_alliances_lead_org_id"), ["lead_org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_alliances_name_initials"), ["name_initials"], unique=False
        )
        batch_op.create_index("ix_alliances_name_pinyin_id", ["name_pinyin", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alliances_pattern"), ["pattern"], unique=False)
        batch_op.create_index(batch_op.f("ix_alliances_status"), ["status"], unique=False)

    op.create_table(
        "venues",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("name_pinyin", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("name_initials", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("owner_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column(
            "facilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("open_hours", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organizations.id"],
            name=op.f("fk_venues_owner_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_venues_name_initials"), ["name_initials"], unique=False
        )
        batch_op.create_index("ix_venues_name_pinyin_id", ["name_pinyin", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_venues_owner_org_id"), ["owner_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_venues_status"), ["status"], unique=False)

    op.create_table(
        "alliance_agreements",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column(
            "party_org_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
        sa.Column("file_ref", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_agreements_alliance_id_alliances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_agreements")),
    )
    with op.batch_alter_table("alliance_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_agreements_alliance_id"), ["alliance_id"], unique=False
        )

    op.create_table(
        "alliance_appointments",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("home_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_appointments_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["home_org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_appointments_home_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_appointments")),
    )
    with op.batch_alter_table("alliance_appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_appointments_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alliance_appointments_home_org_id"), ["home_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alliance_appointments_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "alliance_chains",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("lead_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["alliances.id"], name=op.f("fk_alliance_chains_alliance_id_alliances")
        ),
        sa.ForeignKeyConstraint(
            ["lead_org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_chains_lead_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_chains")),
        sa.UniqueConstraint(
            "alliance_id", "name", name=op.f("uq_alliance_chains_alliance_id_name")
        ),
    )
    with op.batch_alter_table("alliance_chains", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_chains_alliance_id"), ["alliance_id"], unique=False
        )

    op.create_table(
        "alliance_convener_periods",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_convener_periods_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_convener_periods_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_convener_periods")),
    )
    with op.batch_alter_table("alliance_convener_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_convener_periods_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alliance_convener_periods_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(
            "ix_alliance_convener_periods_span", ["alliance_id", "start_on"], unique=False
        )

    op.create_table(
        "alliance_designations",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("designated_on", sa.Date(), nullable=True),
        sa.Column("designated_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_designations_alliance_id_alliances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_designations")),
        sa.UniqueConstraint(
            "alliance_id", "year", name=op.f("uq_alliance_designations_alliance_id_year")
        ),
    )
    with op.batch_alter_table("alliance_designations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_designations_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alliance_designations_year"), ["year"], unique=False)

    op.create_table(
        "alliance_fund_entries",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("contributor_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_fund_entries_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["contributor_org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_fund_entries_contributor_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_fund_entries")),
        sa.UniqueConstraint(
            "alliance_id", "seq", name=op.f("uq_alliance_fund_entries_alliance_id_seq")
        ),
    )
    with op.batch_alter_table("alliance_fund_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alliance_fund_entries_order", ["alliance_id", "occurred_on", "seq"], unique=False
        )

    op.create_table(
        "alliance_members",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("leave_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_members_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_alliance_members_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_members")),
    )
    with op.batch_alter_table("alliance_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alliance_members_alliance_org", ["alliance_id", "org_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alliance_members_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "uq_alliance_members_open",
            ["alliance_id", "org_id"],
            unique=True,
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        )

    op.create_table(
        "alliance_projects",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("lead_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column(
            "progress",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_projects_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_projects_lead_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_projects")),
    )
    with op.batch_alter_table("alliance_projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_projects_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alliance_projects_lead_org_id"), ["lead_org_id"], unique=False
        )

    op.create_table(
        "alliance_staff",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("home_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("engagement", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("duty", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["alliances.id"], name=op.f("fk_alliance_staff_alliance_id_alliances")
        ),
        sa.ForeignKeyConstraint(
            ["home_org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_staff_home_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_staff")),
    )
    with op.batch_alter_table("alliance_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_staff_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alliance_staff_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "alliance_status_changes",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("changed_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_status_changes_alliance_id_alliances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_status_changes")),
    )
    with op.batch_alter_table("alliance_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_status_changes_alliance_id"), ["alliance_id"], unique=False
        )

    op.create_table(
        "alliance_supply_demand_items",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_supply_demand_items_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_supply_demand_items_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_supply_demand_items")),
    )
    with op.batch_alter_table("alliance_supply_demand_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alliance_sd_items_alliance_status", ["alliance_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alliance_supply_demand_items_org_id"), ["org_id"], unique=False
        )

    op.create_table(
        "alliance_venues",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("venue_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("linked_on", sa.Date(), nullable=False),
        sa.Column("unlinked_on", sa.Date(), nullable=True),
        sa.Column("is_office", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["alliances.id"], name=op.f("fk_alliance_venues_alliance_id_alliances")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_alliance_venues_venue_id_venues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_venues")),
    )
    with op.batch_alter_table("alliance_venues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_venues_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alliance_venues_venue_id"), ["venue_id"], unique=False)
        batch_op.create_index(
            "uq_alliance_venues_open",
            ["alliance_id", "venue_id"],
            unique=True,
            sqlite_where=sa.text("unlinked_on IS NULL"),
            postgresql_where=sa.text("unlinked_on IS NULL"),
        )

    op.create_table(
        "volunteer_teams",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("name_pinyin", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("name_initials", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("home_org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("leader_member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("leader_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(org_id IS NULL) <> (alliance_id IS NULL)",
            name=op.f("ck_volunteer_teams_exactly_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["alliances.id"], name=op.f("fk_volunteer_teams_alliance_id_alliances")
        ),
        sa.ForeignKeyConstraint(
            ["home_org_id"],
            ["organizations.id"],
            name=op.f("fk_volunteer_teams_home_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_volunteer_teams_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_teams")),
    )
    with op.batch_alter_table("volunteer_teams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_teams_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_teams_home_org_id"), ["home_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_teams_name_initials"), ["name_initials"], unique=False
        )
        batch_op.create_index(
            "ix_volunteer_teams_name_pinyin_id", ["name_pinyin", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_volunteer_teams_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_teams_status"), ["status"], unique=False)

    op.create_table(
        "alliance_chain_members",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("chain_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_chain_members_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["alliance_chains.id"],
            name=op.f("fk_alliance_chain_members_chain_id_alliance_chains"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_alliance_chain_members_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_chain_members")),
        sa.UniqueConstraint(
            "chain_id", "org_id", name=op.f("uq_alliance_chain_members_chain_id_org_id")
        ),
    )
    with op.batch_alter_table("alliance_chain_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_chain_members_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alliance_chain_members_chain_id"), ["chain_id"], unique=False
        )

    op.create_table(
        "alliance_supply_demand_matches",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alliance_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("supply_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("demand_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("matched_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("matched_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"],
            ["alliances.id"],
            name=op.f("fk_alliance_supply_demand_matches_alliance_id_alliances"),
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["alliance_supply_demand_items.id"],
            name=op.f("fk_alliance_supply_demand_matches_demand_id_alliance_supply_demand_items"),
        ),
        sa.ForeignKeyConstraint(
            ["supply_id"],
            ["alliance_supply_demand_items.id"],
            name=op.f("fk_alliance_supply_demand_matches_supply_id_alliance_supply_demand_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_supply_demand_matches")),
        sa.UniqueConstraint("demand_id", name=op.f("uq_alliance_supply_demand_matches_demand_id")),
        sa.UniqueConstraint("supply_id", name=op.f("uq_alliance_supply_demand_matches_supply_id")),
    )
    with op.batch_alter_table("alliance_supply_demand_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_supply_demand_matches_alliance_id"),
            ["alliance_id"],
            unique=False,
        )

    op.create_table(
        "volunteer_posts",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["volunteer_teams.id"],
            name=op.f("fk_volunteer_posts_team_id_volunteer_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_posts")),
    )
    with op.batch_alter_table("volunteer_posts", schema=None) as batch_op:
        batch_op.create_index("ix_volunteer_posts_kind_team", ["kind", "team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_posts_team_id"), ["team_id"], unique=False)

    op.create_table(
        "volunteer_claims",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("post_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("claimed_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["volunteer_posts.id"],
            name=op.f("fk_volunteer_claims_post_id_volunteer_posts"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["volunteer_teams.id"],
            name=op.f("fk_volunteer_claims_team_id_volunteer_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_claims")),
    )
    with op.batch_alter_table("volunteer_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_claims_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_volunteer_claims_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_claims_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            "uq_volunteer_claims_active",
            ["post_id", "member_id"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("volunteer_claims", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_volunteer_claims_active",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_volunteer_claims_team_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_claims_post_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_claims_member_id"))

    op.drop_table("volunteer_claims")
    with op.batch_alter_table("volunteer_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_posts_team_id"))
        batch_op.drop_index("ix_volunteer_posts_kind_team")

    op.drop_table("volunteer_posts")
    with op.batch_alter_table("alliance_supply_demand_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_supply_demand_matches_alliance_id"))

    op.drop_table("alliance_supply_demand_matches")
    with op.batch_alter_table("alliance_chain_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_chain_members_chain_id"))
        batch_op.drop_index(batch_op.f("ix_alliance_chain_members_alliance_id"))

    op.drop_table("alliance_chain_members")
    with op.batch_alter_table("volunteer_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_teams_status"))
        batch_op.drop_index(batch_op.f("ix_volunteer_teams_org_id"))
        batch_op.drop_index("ix_volunteer_teams_name_pinyin_id")
        batch_op.drop_index(batch_op.f("ix_volunteer_teams_name_initials"))
        batch_op.drop_index(batch_op.f("ix_volunteer_teams_home_org_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_teams_alliance_id"))

    op.drop_table("volunteer_teams")
    with op.batch_alter_table("alliance_venues", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_alliance_venues_open",
            sqlite_where=sa.text("unlinked_on IS NULL"),
            postgresql_where=sa.text("unlinked_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_alliance_venues_venue_id"))
        batch_op.drop_index(batch_op.f("ix_alliance_venues_alliance_id"))

    op.drop_table("alliance_venues")
    with op.batch_alter_table("alliance_supply_demand_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_supply_demand_items_org_id"))
        batch_op.drop_index("ix_alliance_sd_items_alliance_status")

    op.drop_table("alliance_supply_demand_items")
    with op.batch_alter_table("alliance_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_status_changes_alliance_id"))

    op.drop_table("alliance_status_changes")
    with op.batch_alter_table("alliance_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_staff_member_id"))
        batch_op.drop_index(batch_op.f("ix_alliance_staff_alliance_id"))

    op.drop_table("alliance_staff")
    with op.batch_alter_table("alliance_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_projects_lead_org_id"))
        batch_op.drop_index(batch_op.f("ix_alliance_projects_alliance_id"))

    op.drop_table("alliance_projects")
    with op.batch_alter_table("alliance_members", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_alliance_members_open",
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_alliance_members_org_id"))
        batch_op.drop_index("ix_alliance_members_alliance_org")

    op.drop_table("alliance_members")
    with op.batch_alter_table("alliance_fund_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_alliance_fund_entries_order")

    op.drop_table("alliance_fund_entries")
    with op.batch_alter_table("alliance_designations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_designations_year"))
        batch_op.drop_index(batch_op.f("ix_alliance_designations_alliance_id"))

    op.drop_table("alliance_designations")
    with op.batch_alter_table("alliance_convener_periods", schema=None) as batch_op:
        batch_op.drop_index("ix_alliance_convener_periods_span")
        batch_op.drop_index(batch_op.f("ix_alliance_convener_periods_org_id"))
        batch_op.drop_index(batch_op.f("ix_alliance_convener_periods_member_id"))

    op.drop_table("alliance_convener_periods")
    with op.batch_alter_table("alliance_chains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_chains_alliance_id"))

    op.drop_table("alliance_chains")
    with op.batch_alter_table("alliance_appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_appointments_member_id"))
        batch_op.drop_index(batch_op.f("ix_alliance_appointments_home_org_id"))
        batch_op.drop_index(batch_op.f("ix_alliance_appointments_alliance_id"))

    op.drop_table("alliance_appointments")
    with op.batch_alter_table("alliance_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_agreements_alliance_id"))

    op.drop_table("alliance_agreements")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_status"))
        batch_op.drop_index(batch_op.f("ix_venues_owner_org_id"))
        batch_op.drop_index("ix_venues_name_pinyin_id")
        batch_op.drop_index(batch_op.f("ix_venues_name_initials"))

    op.drop_table("venues")
    with op.batch_alter_table("alliances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliances_status"))
        batch_op.drop_index(batch_op.f("ix_alliances_pattern"))
        batch_op.drop_index("ix_alliances_name_pinyin_id")
        batch_op.drop_index(batch_op.f("ix_alliances_name_initials"))
        batch_op.drop_index(batch_op.f("ix_alliances_lead_org_id"))
        batch_op.drop_index(batch_op.f("ix_alliances_area_code"))

    op.drop_table("alliances")
