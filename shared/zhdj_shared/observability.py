"""Request ids, structured JSON logs, Prometheus metrics, ``/healthz``, ``/readyz``, ``/metrics``.

:class:`RequestContextMiddleware` is the outermost layer of every app. It takes the caller's
``X-Request-ID`` when it is a sane token (else makes one), exposes it to logs, errors and outbound
calls through a context variable, echoes it on the response, records the request in the metrics
and the access log, and turns any unexpected exception into a 500 problem without a stack trace.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhdj_shared.context import current_request_id, reset_request_id, set_request_id
from zhdj_shared.errors import PROBLEM_CONTENT_TYPE, problem_body

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

logger = logging.getLogger("zhdj.access")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str:
    """The caller's id when it is safe to log and forward, else a fresh one."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return new_request_id()


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # orjson: the access log writes a line per request, so this is on every hot path.
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would duplicate ours without the request id.
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """Per-app Prometheus collectors (one registry per app, so tests can build many apps)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests served",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request start to the end of the response",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.service = service

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(self.service, method, route, str(status)).inc()
        self.latency.labels(self.service, method, route).observe(seconds)

    def render(self) -> bytes:
        return _generate_latest(self.registry)


def _route_label(scope: Scope) -> str:
    # The route template (/api/registry/organizations/{org_id}) keeps label cardinality bounded.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


_IN_CONTEXT = "zhdj.request_context"


class RequestContextMiddleware:
    """Outermost ASGI layer: request id, access log, metrics, last-resort 500 problem."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(_IN_CONTEXT):
            # Nested inside another (the gateway's edge around its identity app): the outer one
            # already gives the request its id, its access-log line and its metric.
            await self.app(scope, receive, send)
            return
        scope[_IN_CONTEXT] = True
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = accepted_request_id(incoming)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"fields": {"path": scope.get("path")}})
            if not response_started:
                await _send_500(send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe(scope["method"], _route_label(scope), status, elapsed)
            logger.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    }
                },
            )
            reset_request_id(token)


async def _send_500(send: Send) -> None:
    body = problem_body(500, slug="internal", detail="An unexpected error occurred.")
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


ReadinessCheck = Callable[[], Awaitable[None]]


def health_router(metrics: Metrics, readiness_checks: dict[str, ReadinessCheck]) -> APIRouter:
    """``/healthz`` (the process answers), ``/readyz`` (its dependencies answer), ``/metrics``."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers (touches no dependency)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: every dependency answers")
    async def readyz(response: Response) -> dict[str, Any]:
        results: dict[str, str] = {}
        for name, check in readiness_checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # a failing dependency is the answer, not an error
                results[name] = f"failed: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        response.status_code = 200 if ready else 503
        return {"status": "ready" if ready else "not ready", "checks": results}

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(app: FastAPI, service: str) -> Metrics:
    metrics = Metrics(service)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return metrics
