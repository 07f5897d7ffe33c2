"""The base of every registry table: a metadata of the registry's own.

Services own their data; their tables never share one metadata (a test process imports every
service, and two services may name a table alike). Alembic's ``env.py`` compares against
``RegistryModel.metadata``.
"""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from zhdj_shared.db import service_metadata


class RegistryModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass
