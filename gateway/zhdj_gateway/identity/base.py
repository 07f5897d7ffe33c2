"""The base of every gateway table: a metadata of the gateway's own (see ``zhdj_shared.db``)."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from zhdj_shared.db import service_metadata


class GatewayModel(SQLModel, registry=registry(metadata=service_metadata())):
    pass
