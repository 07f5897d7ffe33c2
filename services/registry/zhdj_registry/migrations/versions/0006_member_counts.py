"""members on the rolls per organization and status, kept by triggers

``org_member_counts`` holds, for each home organization and status, the number of members with
``left_on`` null. Triggers on ``members`` keep it exact for every writer (the services, the bulk
import's multi-row INSERTs, COPY): after insert, after an update of ``home_org_id``, ``status``
or ``left_on``, after delete, the old row's values are decremented and the new row's incremented.
A district's members today are then a sum over its ~10,000 organizations instead of a count of
its ~110,000 members (bench/registry_scale.py).

PostgreSQL gets a plpgsql trigger function; SQLite the same upserts as ``CREATE TRIGGER ...
BEGIN ... END`` statements. The table is backfilled from ``members`` in one INSERT ... SELECT.

Revision ID: 0006_member_counts
Revises: 0005_figures_covering_indexes
Create Date: 2026-11-27 19:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_member_counts"
down_revision: str | Sequence[str] | None = "0005_figures_covering_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rollup recomputed from ``members`` (the backfill; bench/registry_scale.py after a COPY).
BACKFILL = """
INSERT INTO org_member_counts (org_id, status, members)
SELECT home_org_id, status, count(*) FROM members WHERE left_on IS NULL
GROUP BY home_org_id, status
"""

_INCREMENT = """
INSERT INTO org_member_counts (org_id, status, members) VALUES ({row}.home_org_id, {row}.status, 1)
ON CONFLICT (org_id, status) DO UPDATE SET members = org_member_counts.members + excluded.members
"""
_DECREMENT = """
UPDATE org_member_counts SET members = members - 1
WHERE org_id = {row}.home_org_id AND status = {row}.status
"""

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION org_member_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
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
POSTGRESQL_TRIGGERS = [
    "CREATE TRIGGER members_counts_insert AFTER INSERT ON members "
    "FOR EACH ROW EXECUTE FUNCTION org_member_counts_track()",
    "CREATE TRIGGER members_counts_update AFTER UPDATE OF home_org_id, status, left_on "
    "ON members FOR EACH ROW WHEN (OLD.home_org_id IS DISTINCT FROM NEW.home_org_id "
    "OR OLD.status IS DISTINCT FROM NEW.status "
    "OR (OLD.left_on IS NULL) <> (NEW.left_on IS NULL)) "
    "EXECUTE FUNCTION org_member_counts_track()",
    "CREATE TRIGGER members_counts_delete AFTER DELETE ON members "
    "FOR EACH ROW EXECUTE FUNCTION org_member_counts_track()",
]

# SQLite: an INSERT ... SELECT followed by ON CONFLICT needs its WHERE (the parser's rule).
_SQLITE_INCREMENT = """
INSERT INTO org_member_counts (org_id, status, members)
SELECT NEW.home_org_id, NEW.status, 1 WHERE NEW.left_on IS NULL
ON CONFLICT (org_id, status) DO UPDATE SET members = members + excluded.members;
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
    op.create_table(
        "org_member_counts",
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_org_member_counts_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("org_id", "status", name=op.f("pk_org_member_counts")),
    )
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON members" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS org_member_counts_track()")
    op.drop_table("org_member_counts")
