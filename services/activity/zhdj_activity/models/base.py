"""The base of every activity table: a metadata of the activity service's own."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from zhdj_shared.db import service_metadata
from zhdj_shared.idempotency import idempotency_table
from zhdj_shared.moves import moves_cursor_table
from zhdj_shared.storage import blob_table


class ActivityModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass


# Idempotency-Key rows of this service's retried POSTs (plan, check-in, booking, volunteer
# record), in its own database like every other table (zhdj_shared.idempotency).
IDEMPOTENCY_KEYS = idempotency_table(ActivityModel.metadata)
# Attachments' bytes when ZHDJ_ACTIVITY_STORAGE_URL=database (several replicas).
BLOBS = blob_table(ActivityModel.metadata)
# The last registry move applied to this database's copied paths (zhdj_activity.moves).
MOVES_CURSOR = moves_cursor_table(ActivityModel.metadata)
