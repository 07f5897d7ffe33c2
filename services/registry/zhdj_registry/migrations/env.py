"""Alembic environment of the registry (the shared body lives in zhdj_shared.migrations)."""

from sqlmodel import SQLModel

import zhdj_registry.models  # noqa: F401 - registers every table on the metadata
from zhdj_shared.migrations import run_env

run_env(SQLModel.metadata)
