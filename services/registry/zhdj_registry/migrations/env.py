"""Alembic environment of the registry (the shared body lives in zhdj_shared.migrations)."""

import zhdj_registry.models  # noqa: F401 - registers every table on the metadata
from zhdj_registry.models.base import RegistryModel
from zhdj_shared.migrations import run_env

run_env(RegistryModel.metadata)
