"""Signing keys are published before they sign: ``signing_keys.activates_at``.

Additive (a nullable column; NULL means "signs since created_at", which is what every existing
key did), so gateways of the previous release keep working on the migrated schema.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 16:28:00.149848
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhdj_shared.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("activates_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_column("activates_at")
