"""``/open311/v2/``: Open311 GeoReport v2 (JSON and XML) for third-party systems.

HTTP only: the format from the path's suffix, the token, the form, and Open311's own error
shape. Errors here are ``[{"code": ..., "description": ...}]`` (or its XML), never problem+json,
because Open311 clients parse that shape (docs/decisions/0005-open311-errors.md); so this router
reads its inputs itself rather than through FastAPI's validation, and turns every platform
error raised below it into an Open311 error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from zhdj_service_requests.schemas.open311 import SPECIFICATION, Format, error_response, render
from zhdj_service_requests.services.open311 import Open311Service, Query
from zhdj_shared.db import SessionDep
from zhdj_shared.errors import Problem, Unauthorized
from zhdj_shared.registry_client import RegistryDep
from zhdj_shared.security.authz import Principal, keys_unavailable
from zhdj_shared.security.tokens import InvalidToken, SigningKeysUnavailable, TokenVerifier

PREFIX = "/open311/v2"
router = APIRouter(
    prefix=PREFIX,
    tags=["open311"],
    # Open311 errors are its own list of {code, description} (JSON or XML), not problem+json.
    responses={
        404: {"description": "Unknown format (use .json or .xml), service or request"},
    },
)
CHANGESET = "2026-11-27T00:00:00+08:00"


async def open311_service(session: SessionDep, registry: RegistryDep) -> Open311Service:
    return Open311Service(session, registry)


Open311 = Annotated[Open311Service, Depends(open311_service)]


def _format(suffix: str) -> Format | None:
    try:
        return Format(suffix.lower())
    except ValueError:
        return None


async def _principal(request: Request) -> Principal | None:
    """The bearer token's principal (the gateway's exchange of ``api_key``), or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token (from an api_key) is expected")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        verified = await verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    except SigningKeysUnavailable as exc:
        raise keys_unavailable() from exc
    return Principal.from_claims(verified.claims)


async def _answer(
    suffix: str, root: str, produce: Callable[[], Awaitable[Any]], *, status: int = 200
) -> Response:
    fmt = _format(suffix)
    if fmt is None:
        return error_response(Format.JSON, 404, f"unknown format .{suffix}: use .json or .xml")
    try:
        document = await produce()
    except Problem as exc:
        return error_response(fmt, exc.status, exc.detail or exc.title)
    return render(fmt, root, document, status=status)


@router.get("/discovery.{fmt}", summary="Open311 discovery")
async def discovery(fmt: str, request: Request) -> Response:
    base = str(request.base_url).rstrip("/") + PREFIX

    async def produce() -> dict[str, Any]:
        return {
            "changeset": CHANGESET,
            "contact": "智慧党建 service-requests (群众诉求) — via your platform administrator",
            "key_service": "API keys are issued by the gateway: POST /auth/api-keys",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }

    return await _answer(fmt, "discovery", produce)


@router.get("/services.{fmt}", summary="Service list (the catalog's items)")
async def services(fmt: str, service: Open311) -> Response:
    return await _answer(fmt, "services", service.services)


@router.get("/services/{service_code}.{fmt}", summary="Service definition (attributes)")
async def definition(service_code: str, fmt: str, service: Open311) -> Response:
    return await _answer(fmt, "service_definition", lambda: service.definition(service_code))


@router.get("/requests.{fmt}", summary="Service requests by the standard filters")
async def list_requests(fmt: str, request: Request, service: Open311) -> Response:
    params = request.query_params

    async def produce() -> list[dict[str, Any]]:
        query = Query(
            service_request_id=params.get("service_request_id"),
            service_code=params.get("service_code"),
            start_date=params.get("start_date"),
            end_date=params.get("end_date"),
            status=params.get("status"),
        )
        return await service.requests(await _principal(request), query)

    return await _answer(fmt, "service_requests", produce)


@router.post("/requests.{fmt}", summary="Post a service request (form-encoded, api_key)")
async def post_request(
    fmt: str, request: Request, service: Open311, session: SessionDep
) -> Response:
    async def produce() -> list[dict[str, Any]]:
        form = await request.form()
        fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        return await service.submit(await _principal(request), fields)

    response = await _answer(fmt, "service_requests", produce, status=201)
    if response.status_code >= 400:
        await session.rollback()  # an error answered here must not commit a half-made change
    return response


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
async def get_request(
    service_request_id: str, fmt: str, request: Request, service: Open311
) -> Response:
    async def produce() -> list[dict[str, Any]]:
        return await service.request(await _principal(request), service_request_id)

    return await _answer(fmt, "service_requests", produce)


@router.get("/tokens/{token}.{fmt}", summary="The service_request_id of a POST's token")
async def token(token: str, fmt: str, service: Open311) -> Response:
    return await _answer(fmt, "service_requests", lambda: service.token(token))


@router.api_route(
    "/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def unknown(rest: str) -> Response:
    fmt = Format.XML if rest.lower().endswith(".xml") else Format.JSON
    return error_response(fmt, 404, f"no Open311 resource {PREFIX}/{rest}")
