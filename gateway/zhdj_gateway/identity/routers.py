"""HTTP of the identity half: ``/auth/*`` and ``/.well-known/jwks.json``.

Routes only translate between HTTP and the services; the request's unit of work commits. Routes
that write take ``WriterSessionDep``: they read first and often hash a password in between,
which on SQLite must not start from a snapshot another write can make stale (see
``zhdj_shared.db.claim_writer``); the token endpoint's grants claim it themselves.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote_plus

import orjson
from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response, Security
from starlette.datastructures import FormData

from zhdj_gateway.identity.context import IdentityDep
from zhdj_gateway.identity.models import ApiKey, OAuthClient
from zhdj_gateway.identity.schemas import (
    ApiKeyCreate,
    ApiKeyPage,
    ApiKeyView,
    ApiKeyWithSecret,
    ClientCreate,
    ClientPage,
    ClientSecret,
    ClientUpdate,
    ClientView,
    ClientWithSecret,
    MeView,
    OAuthErrorBody,
    PasswordReset,
    RegisterRequest,
    RoleView,
    SigningKeyList,
    SigningKeyView,
    TokenResponse,
    UserCreate,
    UserPage,
    UserUpdate,
    UserView,
)
from zhdj_gateway.identity.services import accounts, api_keys, clients, oauth
from zhdj_gateway.identity.services.accounts import Account
from zhdj_gateway.identity.services.errors import LoginThrottled, OAuthError
from zhdj_gateway.identity.services.oauth import ClientCredentials
from zhdj_gateway.settings import JWKS_MAX_AGE_SECONDS
from zhdj_shared.db import SessionDep, WriterSessionDep
from zhdj_shared.errors import Conflict, TooManyRequests, Unauthorized, problem_responses
from zhdj_shared.pagination import PageParams, page_params
from zhdj_shared.security.authz import Principal, current_principal
from zhdj_shared.security.scopes import Scope

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
Pages = Annotated[PageParams, Depends(page_params)]
Caller = Annotated[Principal, Security(current_principal)]


# --- views -----------------------------------------------------------------------------------


def user_view(account: Account) -> UserView:
    user = account.user
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        phone=user.phone,
        is_active=user.is_active,
        roles=[RoleView(role=r.role, org_id=r.org_id) for r in account.roles],
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def client_view(client: OAuthClient) -> ClientView:
    return ClientView.model_validate(client, from_attributes=True)


def api_key_view(key: ApiKey) -> ApiKeyView:
    return ApiKeyView.model_validate(key, from_attributes=True)


def json_response(
    body: dict[str, Any], *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status_code, media_type="application/json", headers=headers
    )


def _created(response: Response, location: str) -> None:
    response.headers["Location"] = location


# --- token endpoint (RFC 6749) ---------------------------------------------------------------

_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            FORM_CONTENT_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {
                            "type": "string",
                            "enum": ["password", "refresh_token", "client_credentials"],
                        },
                        "username": {"type": "string"},
                        "password": {"type": "string", "format": "password"},
                        "refresh_token": {"type": "string"},
                        "scope": {"type": "string"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string", "format": "password"},
                    },
                }
            }
        },
    }
}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthErrorBody, "description": "RFC 6749 section 5.2 error"},
    401: {"model": OAuthErrorBody, "description": "invalid_client"},
    **problem_responses(429),
}

token_router = APIRouter(tags=["oauth"])


def oauth_error_response(exc: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="zhdj", charset="UTF-8"'
    body = OAuthErrorBody(error=exc.error, error_description=exc.description)
    return json_response(body.model_dump(), status_code=exc.status, headers=headers)


async def _read_form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        raise OAuthError("invalid_request", f"the body must be {FORM_CONTENT_TYPE}")
    form = await request.form()
    repeated = [key for key in set(form.keys()) if len(form.getlist(key)) > 1]
    if repeated:
        raise OAuthError("invalid_request", f"repeated parameter: {', '.join(sorted(repeated))}")
    return form


def _field(form: FormData, name: str, *, required: bool = False) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise OAuthError("invalid_request", f"{name} must be a string")
    if required and not value:
        raise OAuthError("invalid_request", f"{name} is required")
    return value or None


def _basic_credentials(header: str) -> ClientCredentials:
    try:
        decoded = base64.b64decode(header.encode(), validate=True).decode()
        client_id, secret = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise OAuthError("invalid_client", "malformed Basic credentials") from exc
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before joining.
    return ClientCredentials(unquote_plus(client_id), unquote_plus(secret))


def client_credentials_of(request: Request, form: FormData) -> ClientCredentials | None:
    """HTTP Basic or ``client_id``/``client_secret`` form fields (never both)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    form_secret = _field(form, "client_secret")
    if scheme.lower() == "basic":
        if form_secret is not None:
            raise OAuthError("invalid_request", "use one client authentication method")
        return _basic_credentials(value.strip())
    form_id = _field(form, "client_id")
    if form_secret is not None:
        if form_id is None:
            raise OAuthError("invalid_request", "client_id is required with client_secret")
        return ClientCredentials(form_id, form_secret)
    return None


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _grant(
    request: Request, form: FormData, session: SessionDep, ctx: IdentityDep
) -> TokenResponse:
    grant_type = _field(form, "grant_type", required=True)
    credentials = client_credentials_of(request, form)
    scope = _field(form, "scope")
    if grant_type == "password":
        return await oauth.password_grant(
            session,
            ctx.oauth,
            username=_field(form, "username", required=True) or "",
            password=_field(form, "password", required=True) or "",
            scope=scope,
            ip=_client_ip(request),
            credentials=credentials,
        )
    if grant_type == "refresh_token":
        return await oauth.refresh_grant(
            session,
            ctx.oauth,
            refresh_token=_field(form, "refresh_token", required=True) or "",
            scope=scope,
            credentials=credentials,
        )
    if grant_type == "client_credentials":
        return await oauth.client_credentials_grant(
            session, ctx.oauth, scope=scope, credentials=credentials
        )
    raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported")


@token_router.post(
    "/auth/token",
    summary="OAuth 2.0 token endpoint (password, refresh_token, client_credentials)",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=_OAUTH_ERRORS,
    openapi_extra=_FORM_SCHEMA,
)
async def token(request: Request, session: SessionDep, ctx: IdentityDep) -> Response:
    try:
        result = await _grant(request, await _read_form(request), session, ctx)
    except OAuthError as exc:
        # Answered here, not raised: a revoked refresh-token family must still be committed.
        return oauth_error_response(exc)
    except LoginThrottled as exc:
        raise TooManyRequests(
            "Too many failed logins; try again later.",
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc
    return json_response(result.model_dump(exclude_none=True), headers=NO_STORE)


@token_router.post(
    "/auth/revoke",
    summary="Revoke a refresh token and its family (RFC 7009)",
    # RFC 7009: 200 with an empty body (not JSON), also for an unknown token.
    response_class=Response,
    responses={200: {"description": "Revoked, or the token was not valid"}, **_OAUTH_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FORM_CONTENT_TYPE: {
                    "schema": {
                        "type": "object",
                        "required": ["token"],
                        "properties": {
                            "token": {"type": "string"},
                            "token_type_hint": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def revoke(request: Request, session: SessionDep, ctx: IdentityDep) -> Response:
    try:
        form = await _read_form(request)
        await oauth.revoke(
            session,
            ctx.oauth,
            token=_field(form, "token", required=True) or "",
            credentials=client_credentials_of(request, form),
        )
    except OAuthError as exc:
        return oauth_error_response(exc)
    return Response(status_code=200, headers=NO_STORE)


@token_router.get("/.well-known/jwks.json", summary="Public signing keys (JWKS)", tags=["oauth"])
async def jwks(ctx: IdentityDep) -> Response:
    return json_response(
        await ctx.key_store.jwks(),
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"},
    )


# --- the caller's own account ----------------------------------------------------------------

account_router = APIRouter(prefix="/auth", tags=["account"])


@account_router.post(
    "/register",
    status_code=201,
    summary="A resident signs up",
    responses=problem_responses(409),
)
async def register(
    body: RegisterRequest, response: Response, session: WriterSessionDep, ctx: IdentityDep
) -> UserView:
    account = await accounts.register_resident(session, ctx.hasher, body)
    _created(response, f"/auth/users/{account.user.id}")
    return user_view(account)


@account_router.get("/me", summary="Who the caller is")
async def me(caller: Caller, session: SessionDep) -> MeView:
    if caller.kind == "client":
        return MeView(
            kind="client",
            subject=caller.subject,
            scopes=sorted(caller.scopes),
            roles=[RoleView(role=r, org_id=None) for r in sorted(caller.roles)],
            orgs=sorted(caller.orgs),
            client_id=caller.client_id,
            name=caller.name,
        )
    account = await accounts.active_account(session, caller.subject)
    if account is None:
        raise Unauthorized("the account no longer exists or is disabled")
    return MeView(
        kind="user",
        subject=account.user.id,
        scopes=sorted(caller.scopes),
        roles=[RoleView(role=r.role, org_id=r.org_id) for r in account.roles],
        orgs=sorted(account.orgs),
        username=account.user.username,
        display_name=account.user.display_name,
        phone=account.user.phone,
    )


# --- administration (identity:admin) ---------------------------------------------------------

admin_router = APIRouter(
    prefix="/auth",
    dependencies=[Security(current_principal, scopes=[Scope.IDENTITY_ADMIN.value])],
    responses=problem_responses(401, 403, 404),
)


@admin_router.get("/users", tags=["users"], summary="List users")
async def list_users(session: SessionDep, page: Pages) -> UserPage:
    items, next_cursor = await accounts.list_accounts(session, cursor=page.cursor, limit=page.limit)
    return UserPage(items=[user_view(a) for a in items], next_cursor=next_cursor)


@admin_router.post("/users", status_code=201, tags=["users"], responses=problem_responses(409))
async def create_user(
    body: UserCreate, response: Response, session: WriterSessionDep, ctx: IdentityDep
) -> UserView:
    account = await accounts.create_account(session, ctx.hasher, body)
    _created(response, f"/auth/users/{account.user.id}")
    return user_view(account)


@admin_router.get("/users/{user_id}", tags=["users"])
async def get_user(user_id: str, session: SessionDep) -> UserView:
    return user_view(await accounts.get_account(session, user_id))


@admin_router.patch("/users/{user_id}", tags=["users"], summary="Change roles, status, name")
async def update_user(user_id: str, body: UserUpdate, session: WriterSessionDep) -> UserView:
    return user_view(await accounts.update_account(session, user_id, body))


@admin_router.post(
    "/users/{user_id}/password",
    status_code=204,
    tags=["users"],
    summary="Set a new password (ends the user's sessions)",
)
async def reset_password(
    user_id: str, body: PasswordReset, session: WriterSessionDep, ctx: IdentityDep
) -> Response:
    await accounts.reset_password(session, ctx.hasher, user_id, body.password)
    return Response(status_code=204)


@admin_router.get("/clients", tags=["clients"], summary="List OAuth clients")
async def list_clients(session: SessionDep, page: Pages) -> ClientPage:
    items, next_cursor = await clients.list_clients(session, cursor=page.cursor, limit=page.limit)
    return ClientPage(items=[client_view(c) for c in items], next_cursor=next_cursor)


@admin_router.post(
    "/clients", status_code=201, tags=["clients"], summary="Register a client (secret shown once)"
)
async def create_client(
    body: ClientCreate, response: Response, session: WriterSessionDep, ctx: IdentityDep
) -> ClientWithSecret:
    created = await clients.create_client(session, ctx.hasher, body)
    _created(response, f"/auth/clients/{created.client.client_id}")
    response.headers.update(NO_STORE)
    return ClientWithSecret(
        **client_view(created.client).model_dump(), client_secret=created.secret
    )


@admin_router.get("/clients/{client_id}", tags=["clients"])
async def get_client(client_id: str, session: SessionDep) -> ClientView:
    return client_view(await clients.get_client(session, client_id))


@admin_router.patch("/clients/{client_id}", tags=["clients"])
async def update_client(
    client_id: str,
    body: ClientUpdate,
    session: WriterSessionDep,
    ctx: IdentityDep,
    background: BackgroundTasks,
) -> ClientView:
    client = await clients.update_client(session, client_id, body)
    _forget_client_tokens(ctx, background, client_id)
    return client_view(client)


@admin_router.post(
    "/clients/{client_id}/secret", tags=["clients"], summary="New secret (shown once)"
)
async def rotate_client_secret(
    client_id: str, response: Response, session: WriterSessionDep, ctx: IdentityDep
) -> ClientSecret:
    rotated = await clients.rotate_secret(session, ctx.hasher, client_id)
    response.headers.update(NO_STORE)
    return ClientSecret(client_id=rotated.client.client_id, client_secret=rotated.secret)


@admin_router.delete(
    "/clients/{client_id}", status_code=204, tags=["clients"], summary="Deactivate a client"
)
async def deactivate_client(
    client_id: str, session: WriterSessionDep, ctx: IdentityDep, background: BackgroundTasks
) -> Response:
    await clients.deactivate_client(session, client_id)
    _forget_client_tokens(ctx, background, client_id)
    return Response(status_code=204)


def _forget_client_tokens(ctx: IdentityDep, background: BackgroundTasks, client_id: str) -> None:
    # Now, and again after the commit, so a concurrent exchange cannot re-cache the old state.
    ctx.api_keys.forget_client(client_id)
    background.add_task(ctx.api_keys.forget_client, client_id)


@admin_router.get("/api-keys", tags=["api-keys"], summary="List API keys")
async def list_api_keys(
    session: SessionDep,
    page: Pages,
    client_id: Annotated[str | None, Query(max_length=64)] = None,
) -> ApiKeyPage:
    items, next_cursor = await api_keys.list_api_keys(
        session, client_id=client_id, cursor=page.cursor, limit=page.limit
    )
    return ApiKeyPage(items=[api_key_view(k) for k in items], next_cursor=next_cursor)


@admin_router.post(
    "/api-keys", status_code=201, tags=["api-keys"], summary="New API key (shown once)"
)
async def create_api_key(
    body: ApiKeyCreate, response: Response, session: WriterSessionDep, ctx: IdentityDep
) -> ApiKeyWithSecret:
    created = await api_keys.create_api_key(session, ctx.settings.api_key_pepper, body)
    _created(response, f"/auth/api-keys/{created.key.id}")
    response.headers.update(NO_STORE)
    return ApiKeyWithSecret(**api_key_view(created.key).model_dump(), key=created.raw)


@admin_router.get("/api-keys/{key_id}", tags=["api-keys"])
async def get_api_key(key_id: str, session: SessionDep) -> ApiKeyView:
    return api_key_view(await api_keys.get_api_key(session, key_id))


@admin_router.delete("/api-keys/{key_id}", status_code=204, tags=["api-keys"])
async def revoke_api_key(
    key_id: str, session: WriterSessionDep, ctx: IdentityDep, background: BackgroundTasks
) -> Response:
    key = await api_keys.revoke_api_key(session, key_id)
    ctx.api_keys.forget(key.key_hash)
    background.add_task(ctx.api_keys.forget, key.key_hash)
    return Response(status_code=204)


@admin_router.get("/keys", tags=["signing-keys"], summary="Signing keys (never private material)")
async def list_signing_keys(ctx: IdentityDep) -> SigningKeyList:
    keys = await ctx.key_store.list_keys()
    return SigningKeyList(
        items=[SigningKeyView.model_validate(k, from_attributes=True) for k in keys]
    )


@admin_router.post(
    "/keys/rotate",
    tags=["signing-keys"],
    summary="New signing key: in the JWKS at once, signing after ZHDJ_GATEWAY_KEY_PUBLISH_SECONDS;"
    " the previous one signs until then and verifies until its tokens expire",
    responses=problem_responses(409),
)
async def rotate_signing_key(ctx: IdentityDep) -> SigningKeyList:
    if ctx.key_store.managed_by_configuration:
        raise Conflict(
            "The signing key comes from ZHDJ_GATEWAY_SIGNING_KEY_PEM: change it and restart."
        )
    await ctx.key_store.rotate()
    return await list_signing_keys(ctx)


ROUTERS = (token_router, account_router, admin_router)
