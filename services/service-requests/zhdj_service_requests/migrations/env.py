"""Alembic environment of the service-requests service (shared body: zhdj_shared.migrations)."""

import zhdj_service_requests.models  # noqa: F401 - registers every table on the metadata
from zhdj_service_requests.models.base import ServiceRequestsModel
from zhdj_shared.migrations import run_env

run_env(ServiceRequestsModel.metadata)
