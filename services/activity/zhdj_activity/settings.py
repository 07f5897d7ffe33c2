"""Activity service settings (``ZHDJ_ACTIVITY_*``, plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import ServiceSettings


class ActivitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHDJ_ACTIVITY_", extra="ignore")

    service_name: str = "activity"
    port: int = 8002
