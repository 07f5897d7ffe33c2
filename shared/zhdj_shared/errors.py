"""RFC 9457 problem details, the one error format of every part, gateway included.

Raise a :class:`Problem` subclass anywhere; the handlers installed by :func:`install_handlers`
turn it, FastAPI's validation errors and Starlette's HTTP errors into ``application/problem+json``
with the request id. Unexpected exceptions never reach the client as a stack trace: the
request-context middleware answers them with a plain 500 problem (see ``observability``).
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from zhdj_shared.context import current_request_id
from zhdj_shared.db import database_unavailable, unstorable_value

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://zhdj.local/problems/"


class FieldError(BaseModel):
    field: str
    message: str


class ProblemDocument(BaseModel):
    """The body of every error response (documented in each OpenAPI schema)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class Problem(Exception):
    """An error with an HTTP status; subclasses fix the status, title and type."""

    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra or {}


class Unauthorized(Problem):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        super().__init__(detail, **kwargs)


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(Problem):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(Problem):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(Problem):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class Unprocessable(Problem):
    status, title, slug = 422, "Unprocessable content", "validation"


class TooManyRequests(Problem):
    status, title, slug = 429, "Too many requests", "rate-limited"


class BadGateway(Problem):
    status, title, slug = 502, "Bad gateway", "bad-gateway"


class ServiceUnavailable(Problem):
    status, title, slug = 503, "Service unavailable", "unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database did not answer (``zhdj_shared.db.database_unavailable``); nothing stored."""

    slug = "database-unavailable"


class GatewayTimeout(Problem):
    status, title, slug = 504, "Gateway timeout", "gateway-timeout"


def problem_body(
    status: int,
    *,
    title: str | None = None,
    slug: str | None = None,
    detail: str | None = None,
    errors: Sequence[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "request_id": current_request_id(),
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    if extra:
        body.update(extra)
    return orjson.dumps(body)


def problem_response(
    status: int,
    *,
    title: str | None = None,
    slug: str | None = None,
    detail: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    return Response(
        content=problem_body(
            status, title=title, slug=slug, detail=detail, errors=errors, extra=extra
        ),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _field_name(location: Sequence[Any]) -> str:
    # ("body", "name") -> "name"; ("query", "limit") -> "limit"; nested -> "members.0.role"
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:] or parts
    return ".".join(parts)


async def _problem_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status,
        title=exc.title,
        slug=exc.slug,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(field=_field_name(e.get("loc", ())), message=str(e.get("msg", "invalid")))
        for e in exc.errors()
    ]
    return problem_response(
        422,
        title="Unprocessable content",
        slug="validation",
        detail="The request has invalid fields.",
        errors=errors,
    )


async def _http_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(exc.status_code, detail=exc.detail, headers=headers)


async def _integrity_handler(_request: Request, _exc: Exception) -> Response:
    # A uniqueness or reference rule enforced by the database itself: two concurrent requests
    # raced past the service's own check. The transaction was rolled back; nothing was stored.
    return problem_response(
        409,
        title="Conflict",
        slug="conflict",
        detail="The change conflicts with data stored meanwhile; reload and try again.",
    )


DATABASE_UNAVAILABLE_DETAIL = (
    "The database is not answering right now; nothing was stored. Try again shortly."
)


def database_unavailable_response() -> Response:
    """503 with ``Retry-After``: the transaction did not commit, a retry shortly after will likely
    work, and the gateway's breaker counts it as the upstream failing."""
    return problem_response(
        DatabaseUnavailable.status,
        title=DatabaseUnavailable.title,
        slug=DatabaseUnavailable.slug,
        detail=DATABASE_UNAVAILABLE_DETAIL,
        headers={"Retry-After": "1"},
    )


async def _database_busy_handler(_request: Request, _exc: Exception) -> Response:
    # Every pooled connection stayed in use for the whole pool timeout: the process has more
    # requests in flight than it can serve (an overload). Nothing was stored; like a lost
    # connection this is a 503 to retry, which the gateway's breaker counts, not a 500.
    return problem_response(
        503,
        title="Service unavailable",
        slug="database-busy",
        detail="Every database connection is in use right now; nothing was stored. "
        "Try again shortly.",
        headers={"Retry-After": "1"},
    )


async def _database_error_handler(_request: Request, exc: Exception) -> Response:
    # The connection was lost or refused (a database restart, a failover, SQLite busy beyond its
    # timeout): see ``zhdj_shared.db.database_unavailable``. No pooled connection in time is
    # ``_database_busy_handler``'s.
    if database_unavailable(exc):
        return database_unavailable_response()
    if unstorable_value(exc):
        # A value the schema let through but the database refuses (PostgreSQL stores no NUL
        # character, for one): the request's fault, and the transaction stored nothing.
        return problem_response(
            422,
            title="Unprocessable content",
            slug="validation",
            detail="A value of the request cannot be stored (a control character, out of range).",
        )
    raise exc  # anything else is unexpected: the last-resort 500, with its traceback logged


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem_handler)
    app.add_exception_handler(IntegrityError, _integrity_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
    app.add_exception_handler(PoolTimeout, _database_busy_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)


# For route decorators: ``responses=problem_responses(404, 409)`` documents the error bodies.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": ProblemDocument,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_CONTENT_TYPE: {}},
        }
        for status in statuses
    }
