"""Alembic environment of the activity service (the shared body lives in zhdj_shared.migrations).

Autogenerate compares only the activity service's own metadata (``ActivityModel.metadata``).
"""

from zhdj_activity.models import ActivityModel
from zhdj_shared.migrations import run_env

run_env(ActivityModel.metadata)
