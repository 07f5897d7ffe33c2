"""the members rollup carries its organization's path

``org_member_counts`` gains ``org_path`` (a copy of the organization's materialized path, like
``members.org_path``), so a subtree's members today are one index-only prefix scan of the rollup
instead of a join of the rollup with the subtree's organizations (bench/registry_scale.py: the
join was half of a district's statistics). The triggers copy the member's ``org_path`` into the
rollup row they increment; a subtree move rewrites it with the other copies
(``OrganizationRepository.move_subtree``).

Revision ID: 0007_member_counts_path
Revises: 0006_member_counts
Create Date: 2026-11-27 21:30:00.000000
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_member_counts_path"
down_revision: str | Sequence[str] | None = "0006_member_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rollup recomputed from ``members`` (here, and by bench/registry_scale.py after a COPY).
BACKFILL = """
INSERT INTO org_member_counts (org_id, status, members, org_path)
SELECT home_org_id, status, count(*), min(org_path) FROM members WHERE left_on IS NULL
GROUP BY home_org_id, status
"""

_INCREMENT = """
INSERT INTO org_member_counts (org_id, status, members, org_path)
VALUES ({row}.home_org_id, {row}.status, 1, {row}.org_path)
ON CONFLICT (org_id, status) DO UPDATE
SET members = org_member_counts.members + excluded.members, org_path = excluded.org_path
"""
_DECREMENT = """
UPDATE org_member_counts SET members = members - 1
WHERE org_id = {row}.home_org_id AND status = {row}.status
"""

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION org_member_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.left_on IS NULL THEN
        {_DECREMENT.format(row="OLD").strip()};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.left_on IS NULL THEN
        {_INCREMENT.format(row="NEW").strip()};
    END IF;
    RETURN NULL;
END
$$
"""

_SQLITE_INCREMENT = """
INSERT INTO org_member_counts (org_id, status, members, org_path)
SELECT NEW.home_org_id, NEW.status, 1, NEW.org_path WHERE NEW.left_on IS NULL
ON CONFLICT (org_id, status) DO UPDATE
SET members = members + excluded.members, org_path = excluded.org_path;
"""
_SQLITE_DECREMENT = """
UPDATE org_member_counts SET members = members - 1
WHERE OLD.left_on IS NULL AND org_id = OLD.home_org_id AND status = OLD.status;
"""
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER members_counts_insert AFTER INSERT ON members BEGIN {_SQLITE_INCREMENT} END",
    "CREATE TRIGGER members_counts_update AFTER UPDATE OF home_org_id, status, left_on "
    f"ON members BEGIN {_SQLITE_DECREMENT} {_SQLITE_INCREMENT} END",
    f"CREATE TRIGGER members_counts_delete AFTER DELETE ON members BEGIN {_SQLITE_DECREMENT} END",
]
TRIGGER_NAMES = ["members_counts_insert", "members_counts_update", "members_counts_delete"]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if not postgresql:
        for name in TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DELETE FROM org_member_counts")
    with op.batch_alter_table("org_member_counts") as batch:
        batch.add_column(
            sa.Column(
                "org_path",
                sqlmodel.sql.sqltypes.AutoString(length=4096),
                nullable=False,
                server_default="",
            )
        )
    op.execute(BACKFILL)
    op.create_index(
        "ix_org_member_counts_org_path",
        "org_member_counts",
        ["org_path"],
        postgresql_ops={"org_path": "text_pattern_ops"},
        postgresql_include=["status", "members", "org_id"],
    )
    if postgresql:
        op.execute(POSTGRESQL_FUNCTION)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _revision_0006() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "revision_0006", Path(__file__).with_name("0006_member_counts.py")
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("migration 0006 is missing beside 0007")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    """Back to 0006: its trigger bodies, without the path."""
    previous = _revision_0006()
    postgresql = op.get_bind().dialect.name == "postgresql"
    if not postgresql:
        for name in TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_org_member_counts_org_path", table_name="org_member_counts")
    with op.batch_alter_table("org_member_counts") as batch:
        batch.drop_column("org_path")
    if postgresql:
        op.execute(
            previous.POSTGRESQL_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
        )
    else:
        for statement in previous.SQLITE_TRIGGERS:
            op.execute(statement)
