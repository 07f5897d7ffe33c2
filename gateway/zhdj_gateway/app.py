"""The gateway process: the edge (pure ASGI) wrapped around the identity app.

::

    RequestContextMiddleware        request id, JSON access log, metrics, last-resort 500
      └─ Edge                       CORS, rate limits, body limit, API keys, routing
           ├─ /api/<service>/, /open311/  ->  reverse proxy (aiohttp) -> the four services
           ├─ /openapi.json, /docs, /metrics  ->  answered by the edge
           └─ everything else  ->  identity app (FastAPI: /auth/*, JWKS, /healthz, /readyz)

Why not a FastAPI route with httpx for the proxy: docs/decisions/0001-gateway-proxy.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.types import ASGIApp

from zhdj_gateway.edge import Edge, RateLimiter
from zhdj_gateway.settings import GatewaySettings
from zhdj_shared.observability import Metrics, RequestContextMiddleware
from zhdj_shared.settings import StartupWork

logger = logging.getLogger("zhdj.gateway")


def default_upstreams(settings: GatewaySettings) -> dict[str, str]:
    """Service name (the ``/api/<name>/`` segment) -> base URL. Open311 goes to service-requests."""
    return {
        "registry": settings.registry_url,
        "activity": settings.activity_url,
        "service-requests": settings.service_requests_url,
        "assessment": settings.assessment_url,
    }


def create_app(
    settings: GatewaySettings | None = None,
    *,
    identity_app: ASGIApp | None = None,
    upstreams: Mapping[str, str] | None = None,
    rate_limiter: RateLimiter | None = None,
) -> ASGIApp:
    """The whole gateway as one ASGI app.

    ``identity_app`` defaults to the real identity app; ``upstreams`` overrides some service
    URLs (tests); ``rate_limiter`` replaces the one built from the settings (memory, or Redis
    when ``redis_url`` is set) and is closed with the app.
    """
    settings = settings or GatewaySettings()
    # Said once, by the parent of the workers.
    per_process_limits = settings.workers > 1 and not settings.redis_url
    if per_process_limits and settings.startup_work is not StartupWork.SERVE_ONLY:
        logger.warning(
            "rate limits and login throttling are counted per worker process without "
            "ZHDJ_REDIS_URL: a client may get up to the workers' number times its limits"
        )
    if identity_app is None:
        from zhdj_gateway.identity.app import create_identity_app

        identity_app = create_identity_app(settings)
    metrics = Metrics(settings.service_name)
    edge = Edge(
        settings,
        identity_app,
        upstreams={**default_upstreams(settings), **(upstreams or {})},
        rate_limiter=rate_limiter,
        metrics=metrics,
    )
    return RequestContextMiddleware(edge, metrics=metrics)
