"""the pinyin-ordered organization index covers the subtree filter

A page of a subtree (``GET /organizations?within=``) walks ``ix_organizations_name_pinyin_id`` in
pinyin order and keeps the rows under the subtree's path: for a district of a city of 100,000
organizations that is ~18,000 rows looked at for a page of 50, each one a heap visit
(bench/registry_scale.py). With ``path`` and ``status`` included in the index, the page's ids
are found by an index-only scan and only the page's own rows are read from the table
(``OrganizationRepository.list_page`` asks for the ids first).

The index is rebuilt with the columns included rather than doubled (an import maintains one
pinyin index, not two). PostgreSQL only: SQLite has no INCLUDE and keeps its plain index.

Revision ID: 0008_org_listing_covering_index
Revises: 0007_member_counts_path
Create Date: 2026-11-27 22:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_org_listing_covering_index"
down_revision: str | Sequence[str] | None = "0007_member_counts_path"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_organizations_name_pinyin_id", table_name="organizations")
    op.create_index(
        "ix_organizations_name_pinyin_id",
        "organizations",
        ["name_pinyin", "id"],
        postgresql_include=["path", "status"],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_organizations_name_pinyin_id", table_name="organizations")
    op.create_index("ix_organizations_name_pinyin_id", "organizations", ["name_pinyin", "id"])
