"""An organization's result takes its alliances' grades into account: the system's adjustment
per alliance grade, and each organization target's adjustment with what it was based on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("indicator_systems") as batch:
        batch.add_column(sa.Column("alliance_adjustment", JSON, nullable=True))
    with op.batch_alter_table("cycle_targets") as batch:
        batch.add_column(sa.Column("base_total", sa.Float(), nullable=True))
        batch.add_column(sa.Column("adjustment", sa.Float(), nullable=True))
        batch.add_column(sa.Column("adjustment_basis", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycle_targets") as batch:
        batch.drop_column("adjustment_basis")
        batch.drop_column("adjustment")
        batch.drop_column("base_total")
    with op.batch_alter_table("indicator_systems") as batch:
        batch.drop_column("alliance_adjustment")
