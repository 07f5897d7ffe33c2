"""Alembic environment of the service-requests service (shared body: zhdj_shared.migrations).

The service has no tables yet, so its target metadata is an empty one of its own (never the
global ``SQLModel.metadata``, which holds every imported service's tables). When its tables land,
declare them on a base with ``zhdj_shared.db`` naming convention (``service_metadata()``), import
the models module here and pass that base's metadata, so autogenerate compares only this
service's tables.
"""

from sqlalchemy import MetaData

from zhdj_shared.db import NAMING_CONVENTION
from zhdj_shared.migrations import run_env

run_env(MetaData(naming_convention=NAMING_CONVENTION))
