"""The base of every activity table: a metadata of the activity service's own."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from zhdj_shared.db import service_metadata


class ActivityModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass
