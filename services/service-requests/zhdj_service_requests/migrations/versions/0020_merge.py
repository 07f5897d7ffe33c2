"""Merge the requests branch and the webhooks branch

Revision ID: 0020_merge
Revises: 0002_requests, 0010_webhooks
Create Date: 2026-11-27 21:10:00

The catalog and requests tables (``0002_requests``) and the webhook tables (``0010_webhooks``)
were built side by side from the baseline; they share no table, so the merge changes nothing.
"""

from collections.abc import Sequence

revision: str = "0020_merge"
down_revision: str | Sequence[str] | None = ("0002_requests", "0010_webhooks")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
