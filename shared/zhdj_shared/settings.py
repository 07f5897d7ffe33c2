"""Settings from ``ZHDJ_*`` environment variables.

Two layers: :class:`PlatformSettings` holds what every part shares (``ZHDJ_ENV``,
``ZHDJ_DATA_DIR``, the token issuer...), and each part subclasses :class:`ServiceSettings`
with its own prefix (``ZHDJ_REGISTRY_DATABASE_URL``, ``ZHDJ_REGISTRY_PORT``...).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# The gateway's largest request body (ZHDJ_GATEWAY_MAX_BODY_BYTES). A part that takes uploads
# defaults its own limit to it: a bigger file never gets past the gateway anyway.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

# Values shipped only for the embedded demo. Production refuses to start with them.
DEMO_SECRET_MARKER = "demo-only-"  # noqa: S105 - a marker, not a secret


class PlatformSettings(BaseSettings):
    """What every part of the platform shares."""

    model_config = SettingsConfigDict(env_prefix="ZHDJ_", extra="ignore")

    env: Environment = "development"
    data_dir: Path = Path("data")
    log_level: str = "INFO"
    log_json: bool = True
    # Tokens: the gateway issues them, every part verifies them.
    token_issuer: str = "https://zhdj.local/auth"  # noqa: S105
    token_audience: str = "zhdj-platform"  # noqa: S105
    gateway_url: str = "http://127.0.0.1:8000"
    jwks_url: str | None = None  # default: <gateway_url>/.well-known/jwks.json
    jwks_cache_seconds: int = 300
    # Outbound HTTP from a service (to another service, through the gateway).
    http_connect_timeout: float = 2.0
    http_read_timeout: float = 10.0

    @property
    def effective_jwks_url(self) -> str:
        return self.jwks_url or f"{self.gateway_url.rstrip('/')}/.well-known/jwks.json"


class StartupWork(StrEnum):
    """What a process does when its app starts; ``zhdj_shared.serve`` decides it per process.

    The one-time work is the migrations (when ``migrate_on_start``) and the part's setup hooks
    (demo data, the gateway's administrator, clients and signing key): it changes the shared
    database, so with several worker processes it runs once, in their parent, before they start.
    """

    ALL = "all"  # one process: the one-time work, then the per-process start and serving
    SETUP_ONLY = "setup"  # the parent of several workers: the one-time work, no serving
    SERVE_ONLY = "serve"  # one of several workers: its parent did the one-time work


class ServiceSettings(BaseSettings):
    """Settings of one service; subclasses set ``env_prefix`` (``ZHDJ_REGISTRY_`` ...)."""

    model_config = SettingsConfigDict(env_prefix="ZHDJ_SERVICE_", extra="ignore")

    # Filled from the class name by subclasses; used for the default SQLite file name.
    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8001
    # Worker processes serving the one socket (uvicorn's multiprocess supervisor); 1: the
    # process serves itself. In Kubernetes keep 1 and scale replicas instead.
    workers: int = Field(default=1, ge=1, le=64)
    database_url: str | None = None
    # Connections per process (no overflow: beyond them requests wait up to the timeout, then
    # 503). Five parts of 20 use PostgreSQL's default max_connections (100): size the server for
    # parts x replicas x workers x pool size.
    database_pool_size: int = Field(default=20, ge=1, le=500)
    database_pool_timeout: float = Field(default=30.0, gt=0, le=600)
    # Migrations at start: on in the embedded default, off when a Kubernetes Job runs them.
    migrate_on_start: bool = True
    load_demo_data: bool = True
    # Services that copy the registry's paths (activity, service-requests, assessment) read its
    # moves log this often and rewrite their copies (zhdj_shared.moves); 0 turns it off.
    moves_poll_seconds: float = Field(default=5.0, ge=0)
    # This service's own OAuth client (client-credentials) for calls to other services.
    client_id: str | None = None
    client_secret: str | None = None
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    # Not a variable: set by ``zhdj_shared.serve`` on the copies it gives each process.
    _startup_work: StartupWork = PrivateAttr(default=StartupWork.ALL)

    @property
    def startup_work(self) -> StartupWork:
        return self._startup_work

    def for_startup(self, work: StartupWork) -> Self:
        """A copy of these settings for a process that does ``work`` when it starts."""
        copy = self.model_copy()
        copy._startup_work = work
        return copy

    @model_validator(mode="after")
    def _refuse_demo_secrets_in_production(self) -> ServiceSettings:
        if (
            self.platform.env == "production"
            and self.client_secret
            and self.client_secret.startswith(DEMO_SECRET_MARKER)
        ):
            raise ValueError(f"{self.service_name}: a demo client secret in production")
        return self

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under the data folder (the embedded default)."""
        if self.database_url:
            return self.database_url
        path = self.platform.data_dir / f"{self.service_name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"
