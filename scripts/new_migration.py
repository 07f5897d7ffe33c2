"""Autogenerate a migration for one part: ``python scripts/new_migration.py registry "add units"``.

It applies the existing migrations to a scratch SQLite database, compares with the models and
writes the difference as a new revision in that part's ``migrations/versions``. Read the result
before committing it: autogenerate misses renames and server defaults.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

from alembic import command

from zhdj_shared.migrations import alembic_config, upgrade

PACKAGES = {
    "gateway": "zhdj_gateway",
    "registry": "zhdj_registry",
    "activity": "zhdj_activity",
    "service-requests": "zhdj_service_requests",
    "assessment": "zhdj_assessment",
}


def main() -> None:
    part, message = sys.argv[1], sys.argv[2]
    package = importlib.import_module(PACKAGES[part])
    assert package.__file__
    migrations_dir = Path(package.__file__).parent / "migrations"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/scratch.db"
        upgrade(migrations_dir, url)
        versions = migrations_dir / "versions"
        number = len(list(versions.glob("[0-9]*.py"))) + 1
        command.revision(
            alembic_config(migrations_dir, url),
            message=message,
            autogenerate=True,
            rev_id=f"{number:04d}",
        )


if __name__ == "__main__":
    main()
