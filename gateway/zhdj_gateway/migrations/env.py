"""Alembic environment of the gateway (the shared body lives in zhdj_shared.migrations)."""

import zhdj_gateway.identity.models  # noqa: F401 - registers every table on the metadata
from zhdj_gateway.identity.base import GatewayModel
from zhdj_shared.migrations import run_env

run_env(GatewayModel.metadata)
