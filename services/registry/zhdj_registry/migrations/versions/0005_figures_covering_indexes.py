"""covering indexes for subtree figures (merges the 0002, 0003 and 0004 heads)

A district's statistics count its organizations by kind and sector and its members by status,
in force on a date and covered by alliances. With covering indexes PostgreSQL answers those
counts with index-only scans of the materialized-path prefix instead of visiting ~10,000
organization and ~100,000 member rows in the heap (bench/registry_scale.py).

``ix_organizations_path`` is rebuilt with the columns included rather than doubled by a second
path index (a bulk import of 100,000 organizations maintains one path index, not two). The
members get a second index: ``ix_members_org_path`` stays small (deduplicated) for listings.
PostgreSQL only: SQLite has no INCLUDE and keeps its plain path indexes.

Revision ID: 0005_figures_covering_indexes
Revises: 0002_units_members, 0003_alliances, 0004_grids
Create Date: 2026-11-27 19:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_figures_covering_indexes"
down_revision: str | Sequence[str] | None = ("0002_units_members", "0003_alliances", "0004_grids")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_organizations_path", table_name="organizations")
    op.create_index(
        "ix_organizations_path",
        "organizations",
        ["path"],
        postgresql_ops={"path": "text_pattern_ops"},
        postgresql_include=["status", "kind", "sector", "id"],
    )
    op.create_index(
        "ix_members_org_path_figures",
        "members",
        ["org_path"],
        postgresql_ops={"org_path": "text_pattern_ops"},
        postgresql_include=["status", "joined_on", "left_on", "home_org_id"],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_members_org_path_figures", table_name="members")
    op.drop_index("ix_organizations_path", table_name="organizations")
    op.create_index(
        "ix_organizations_path",
        "organizations",
        ["path"],
        postgresql_ops={"path": "text_pattern_ops"},
    )
