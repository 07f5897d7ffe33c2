"""Activity service settings (``ZHDJ_ACTIVITY_*``, plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

import secrets

from pydantic import PrivateAttr
from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import ServiceSettings
from zhdj_shared.storage import DEFAULT_MAX_BYTES


class ActivitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHDJ_ACTIVITY_", extra="ignore")

    service_name: str = "activity"
    port: int = 8002
    # Attachments: file:///path (default <data_dir>/activity-attachments) or s3://bucket/prefix.
    storage_url: str | None = None
    max_attachment_bytes: int = DEFAULT_MAX_BYTES
    # How long a check-in code (the QR on the wall) stays valid.
    checkin_code_minutes: int = 10
    # Key of calendar subscription links (see feeds.py); defaults to the client secret.
    calendar_secret: str | None = None
    # The key when neither secret is set: random, drawn once with these settings, so that every
    # worker process of one start (each gets a copy of them) signs and accepts the same links.
    _random_calendar_key: bytes = PrivateAttr(default_factory=lambda: secrets.token_bytes(32))

    @property
    def random_calendar_key(self) -> bytes:
        return self._random_calendar_key

    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return f"file://{(self.platform.data_dir / 'activity-attachments').resolve()}"
