"""Service-requests settings (``ZHDJ_SERVICE_REQUESTS_*``, plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import ServiceSettings


class ServiceRequestsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHDJ_SERVICE_REQUESTS_", extra="ignore")

    service_name: str = "service-requests"
    port: int = 8003
    # The escalation sweep (催办/督办) runs this often in each process; 0 turns it off.
    escalation_interval_seconds: float = 300.0
    # Working days past the resolution deadline after which 督办 turns from yellow to red.
    red_after_working_days: int = 3
    # Days after resolution during which the resident may send it back (发回重办); after
    # them an unrated request closes by itself.
    reopen_window_days: int = 7
    # A new request of the same category this near an open one, this recent, is flagged.
    duplicate_window_days: int = 3
    duplicate_radius_m: float = 200.0
    # How many demo requests to load on first start (0: none).
    demo_requests: int = 3000
    # Where request photos are stored (file:///path); default: a folder under the data folder.
    storage_url: str | None = None
    # The webhook delivery worker polls for due deliveries this often when idle; 0 turns it off.
    webhook_poll_seconds: float = 2.0
