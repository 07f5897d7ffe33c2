"""The base of every assessment table: a metadata of the assessment service's own."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from zhdj_shared.db import service_metadata


class AssessmentModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass
