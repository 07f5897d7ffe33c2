"""the moves cursor: the last registry move applied to this database's copied paths

One row (``id`` 1): the ``seq`` of the last line of the registry's moves log whose path rewrite
this database holds (``zhdj_shared.moves``, docs/decisions/0009-moves.md). It starts at 0: the
first follower reads the whole log, and replaying moves onto rows that already carry the new
paths changes nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhdj_shared.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    cursor = op.create_table(
        "moves_cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("applied_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moves_cursor")),
    )
    op.bulk_insert(cursor, [{"id": 1, "seq": 0, "applied_at": None}])


def downgrade() -> None:
    op.drop_table("moves_cursor")
