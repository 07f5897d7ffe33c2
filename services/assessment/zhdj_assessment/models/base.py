"""The base of every assessment table: a metadata of the assessment service's own."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from zhdj_shared.db import service_metadata
from zhdj_shared.moves import moves_cursor_table


class AssessmentModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass


# The last registry move applied to this database's copied paths (zhdj_assessment.moves).
MOVES_CURSOR = moves_cursor_table(AssessmentModel.metadata)
