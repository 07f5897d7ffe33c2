"""Gateway settings (``ZHDJ_GATEWAY_*``, plus the platform-wide ``ZHDJ_*``)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from zhdj_shared.settings import DEFAULT_MAX_BODY_BYTES, ServiceSettings

# The JWKS response's Cache-Control max-age: an HTTP cache between a service and the gateway may
# serve it that much older than the service's own cache says.
JWKS_MAX_AGE_SECONDS = 60


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHDJ_GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    port: int = 8000

    # Upstreams by path prefix; the gateway forwards without rewriting the path.
    registry_url: str = "http://127.0.0.1:8001"
    activity_url: str = "http://127.0.0.1:8002"
    service_requests_url: str = "http://127.0.0.1:8003"
    assessment_url: str = "http://127.0.0.1:8004"

    # Tokens
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # How often each gateway process reads the access tokens revoked by any replica (a signed-out
    # session, a disabled account...): the longest a revoked token still passes elsewhere.
    revocation_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # PEM of the signing key (from a Kubernetes Secret); when unset the gateway keeps its keys
    # in its database and creates one on first start.
    signing_key_pem: str | None = Field(default=None, repr=False)
    # A new signing key is in the JWKS this long before it signs, so that every service's cached
    # JWKS has it by then. Unset: ZHDJ_JWKS_CACHE_SECONDS + the JWKS's HTTP max-age (60 s).
    # 0 signs at once (an emergency: services may refuse new tokens until they refetch).
    key_publish_seconds: int | None = Field(default=None, ge=0)
    # HMAC key for API-key hashes. Demo value only; production refuses it.
    api_key_pepper: str = Field(default="demo-only-api-key-pepper", repr=False)

    # Administrator created at first start (password printed when generated).
    admin_username: str = "admin"
    admin_password: str | None = Field(
        default=None,
        repr=False,
        validation_alias=AliasChoices("ZHDJ_ADMIN_PASSWORD", "ZHDJ_GATEWAY_ADMIN_PASSWORD"),
    )

    # Edge
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_limit_per_client: float = 50.0  # tokens per second, sustained
    rate_limit_client_burst: int = 200
    # Platform services (client credentials with the ``service`` role) calling each other.
    rate_limit_per_service_client: float = 2000.0
    rate_limit_service_client_burst: int = 4000
    rate_limit_per_ip: float = 20.0
    rate_limit_ip_burst: int = 100
    login_max_failures: int = 5  # per username+IP within the window, then 429
    login_failure_window_seconds: int = 300
    # Shared rate-limit state for several gateway replicas; in memory when unset.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ZHDJ_REDIS_URL", "ZHDJ_GATEWAY_REDIS_URL")
    )
    upstream_connect_timeout: float = 2.0
    upstream_read_timeout: float = 30.0
    upstream_deadline: float = 30.0  # whole request, including the streamed body
    breaker_failures: int = 5  # consecutive failures that open a circuit
    breaker_reset_seconds: float = 5.0  # half-open after this long

    @property
    def effective_key_publish_seconds(self) -> int:
        if self.key_publish_seconds is not None:
            return self.key_publish_seconds
        return self.platform.jwks_cache_seconds + JWKS_MAX_AGE_SECONDS
