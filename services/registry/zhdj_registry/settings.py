"""Registry settings (``ZHDJ_REGISTRY_*`` plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import DEFAULT_MAX_BODY_BYTES, ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHDJ_REGISTRY_", extra="ignore", populate_by_name=True
    )

    service_name: str = "registry"
    port: int = 8001
    # Largest spreadsheet an import reads (413 above). The gateway refuses a bigger body first
    # (ZHDJ_GATEWAY_MAX_BODY_BYTES, counting the multipart framing too), so by default it is
    # the gateway's limit: its own variable, else the gateway's when set in the same
    # environment (``make run``), else the gateway's default.
    max_import_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES,
        gt=0,
        validation_alias=AliasChoices(
            "ZHDJ_REGISTRY_MAX_IMPORT_BYTES", "ZHDJ_GATEWAY_MAX_BODY_BYTES"
        ),
    )
