"""Registry settings (``ZHDJ_REGISTRY_*`` plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHDJ_REGISTRY_", extra="ignore")

    service_name: str = "registry"
    port: int = 8001
