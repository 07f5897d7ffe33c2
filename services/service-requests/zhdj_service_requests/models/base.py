"""The base of every service-requests table: a metadata of the service's own.

Services own their data; their tables never share one metadata. Alembic's ``env.py`` compares
against ``ServiceRequestsModel.metadata``. The shared ``idempotency_keys`` table is added to
the same metadata, so it lives in this service's database and in the same transaction as a request.
"""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from zhdj_shared.db import service_metadata
from zhdj_shared.idempotency import idempotency_table
from zhdj_shared.moves import moves_cursor_table
from zhdj_shared.storage import blob_table


class ServiceRequestsModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass


IDEMPOTENCY_KEYS = idempotency_table(ServiceRequestsModel.metadata)
# Photos' bytes when ZHDJ_SERVICE_REQUESTS_STORAGE_URL=database (several replicas).
BLOBS = blob_table(ServiceRequestsModel.metadata)
# The last registry move applied to this database's copied paths (zhdj_service_requests.moves).
MOVES_CURSOR = moves_cursor_table(ServiceRequestsModel.metadata)
