"""Access tokens can be refused before they expire: ``access_revocations``.

Additive (a new table), so gateways of the previous release keep working on the migrated schema;
they just do not refuse revoked access tokens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import zhdj_shared.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_revocations",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("revoked_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        op.f("ix_access_revocations_revoked_at"), "access_revocations", ["revoked_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_access_revocations_revoked_at"), table_name="access_revocations")
    op.drop_table("access_revocations")
