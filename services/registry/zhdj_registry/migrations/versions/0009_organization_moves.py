"""the moves log: each organization move, in order, for the services that copy paths

``organization_moves`` has one row per move (``seq``, the organization, its path before and
after, when), written in the move's own transaction. The other services read it
(``GET /organizations/moves?after=``) and rewrite the paths they copied (``zhdj_shared.moves``,
docs/decisions/0009-moves.md). ``seq`` is not a sequence: the move takes a lock and writes the
next number, so numbers follow commit order and a follower never skips a late commit.

Moves made before this revision are not in the log (nothing recorded them); the services'
copies of those were already what they are.

Revision ID: 0009_organization_moves
Revises: 0008_org_listing_covering_index
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import zhdj_shared.db

revision: str = "0009_organization_moves"
down_revision: str | Sequence[str] | None = "0008_org_listing_covering_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organization_moves",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("old_path", sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=False),
        sa.Column("new_path", sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=False),
        sa.Column("moved_at", zhdj_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_organization_moves")),
    )
    with op.batch_alter_table("organization_moves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_moves_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("organization_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_moves_organization_id"))
    op.drop_table("organization_moves")
