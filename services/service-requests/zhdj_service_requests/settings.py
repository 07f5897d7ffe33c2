"""Service-requests settings (``ZHDJ_SERVICE_REQUESTS_*``, plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import ServiceSettings


class ServiceRequestsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHDJ_SERVICE_REQUESTS_", extra="ignore")

    service_name: str = "service-requests"
    port: int = 8003
