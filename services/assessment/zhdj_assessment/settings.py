"""Assessment service settings (``ZHDJ_ASSESSMENT_*``, plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHDJ_ASSESSMENT_", extra="ignore")

    service_name: str = "assessment"
    port: int = 8004
    # How many reads of the other services a recompute runs at once.
    fetch_concurrency: int = 8
