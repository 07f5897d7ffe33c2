"""Alembic environment of the assessment service (the shared body lives in zhdj_shared.migrations).

Autogenerate compares only the assessment service's own metadata (``AssessmentModel.metadata``).
"""

from zhdj_assessment.models import AssessmentModel
from zhdj_shared.migrations import run_env

run_env(AssessmentModel.metadata)
