"""The duplicate check of a submission without a location is one index probe

Revision ID: 0030_submission_indexes
Revises: 0020_merge
Create Date: 2026-11-27 22:00:00

A submission without a location looks for an open request of the same item in the same
community and grid from the last few days, the oldest first (``RequestRepository.open_nearby``). With only
``(category_id, is_open, created_at)`` that could read every open request of the category of
those days: thousands per submission under load, growing with the traffic. ``(item_id,
community_id, grid_id, is_open, created_at, id)`` answers it with one probe in the query's order;
it replaces the index on ``item_id`` alone, which is its prefix (the count of indexes an insert
maintains stays the same).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030_submission_indexes"
down_revision: str | Sequence[str] | None = "0020_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_requests_same_place",
            ["item_id", "community_id", "grid_id", "is_open", "created_at", "id"],
            unique=False,
        )
        batch_op.drop_index("ix_service_requests_item_id")


def downgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index("ix_service_requests_item_id", ["item_id"], unique=False)
        batch_op.drop_index("ix_service_requests_same_place")
