"""Autogenerate a migration for one part: ``python scripts/new_migration.py registry "add units"``.

It applies the existing migrations to a scratch SQLite database, compares with the models and
writes the difference as a new revision in that part's ``migrations/versions``. Read the result
before committing it: autogenerate misses renames and server defaults.
"""

from __future__ import annotations

import importlib
import subprocess
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
        script = command.revision(
            alembic_config(migrations_dir, url),
            message=message,
            autogenerate=True,
            rev_id=f"{number:04d}",
        )
    # Leave the new file as ruff wants it, so `make lint` stays clean.
    scripts = script if isinstance(script, list) else [script]
    paths = [s.path for s in scripts if s is not None]
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "check", "--fix", "--quiet", *paths], check=False)
    subprocess.run([str(ruff), "format", "--quiet", *paths], check=False)


if __name__ == "__main__":
    main()
