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
    # Trends and warnings read the other services many times over; a result this many seconds
    # old is answered again (with its computed_at), never one with an unavailable source.
    dashboard_cache_seconds: float = 60.0
    # Dashboards' warnings (红/黄/绿) per alliance.
    warning_no_activity_days: int = 60  # red: no held activity for this many days
    warning_overdue_red: int = 3  # overdue requests: yellow from 1, red from this many
    warning_satisfaction_days: int = 90  # satisfaction over this many days before `on`
    warning_satisfaction_red: float = 0.6  # red below this satisfaction rate
    warning_satisfaction_yellow: float = 0.8  # yellow below this one
