"""The token endpoint's grants (RFC 6749), refresh-token rotation and revocation (RFC 7009).

Refresh tokens are opaque (``zr_`` + 256 random bits), stored as SHA-256, grouped in a family per
login. Each use spends the token and issues the next one of the family; presenting a spent token
again means it was stolen (or replayed), so the whole family is revoked (OAuth 2.1, RFC 6819
section 5.2.2.3): the thief and the victim both have to log in again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_gateway.identity.models import OAuthClient, RefreshToken
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.repositories import RefreshTokenRepository
from zhdj_gateway.identity.schemas import TokenResponse
from zhdj_gateway.identity.services import accounts
from zhdj_gateway.identity.services.clients import authenticate_client, client_subject
from zhdj_gateway.identity.services.errors import LoginThrottled, OAuthError
from zhdj_gateway.identity.throttle import LoginThrottle
from zhdj_gateway.identity.tokens import TokenMinter, scope_string
from zhdj_shared.db import claim_writer, utcnow
from zhdj_shared.ids import new_id

REFRESH_PREFIX = "zr_"


def refresh_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def narrow(granted: frozenset[str], requested: str | None) -> frozenset[str]:
    """The requested scopes when all are granted; all granted ones when none are requested."""
    if not requested or not requested.strip():
        return granted
    asked = frozenset(requested.split())
    if not asked <= granted:
        missing = " ".join(sorted(asked - granted))
        raise OAuthError("invalid_scope", f"scope not granted: {missing}")
    return asked


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str


@dataclass(frozen=True)
class OAuthDeps:
    """What the grants need besides the session."""

    hasher: PasswordHasher
    minter: TokenMinter
    throttle: LoginThrottle
    refresh_ttl_seconds: int


async def _client(
    session: AsyncSession, deps: OAuthDeps, credentials: ClientCredentials | None
) -> OAuthClient | None:
    if credentials is None:
        return None
    client = await authenticate_client(
        session, deps.hasher, credentials.client_id, credentials.secret
    )
    if client is None:
        raise OAuthError("invalid_client", "client authentication failed")
    return client


async def _new_refresh_token(
    session: AsyncSession,
    deps: OAuthDeps,
    *,
    user_id: str,
    family_id: str,
    scope: str,
    client_id: str | None,
) -> str:
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    await RefreshTokenRepository(session).save(
        RefreshToken(
            token_hash=refresh_hash(raw),
            family_id=family_id,
            user_id=user_id,
            client_id=client_id,
            scope=scope,
            expires_at=utcnow() + timedelta(seconds=deps.refresh_ttl_seconds),
        )
    )
    return raw


async def password_grant(
    session: AsyncSession,
    deps: OAuthDeps,
    *,
    username: str,
    password: str,
    scope: str | None,
    ip: str | None,
    credentials: ClientCredentials | None,
) -> TokenResponse:
    await claim_writer(session)  # reads, checks a hash, then writes
    client = await _client(session, deps, credentials)
    wait = await deps.throttle.retry_after(username, ip)
    if wait is not None:
        raise LoginThrottled(wait)
    account = await accounts.authenticate(session, deps.hasher, username, password)
    if account is None:
        await deps.throttle.failed(username, ip)
        raise OAuthError("invalid_grant", "wrong username or password")
    await deps.throttle.succeeded(username)
    scopes = narrow(account.scopes, scope)
    family_id = new_id()
    issued = await deps.minter.mint(account.subject(scopes, session_id=family_id))
    refresh = await _new_refresh_token(
        session,
        deps,
        user_id=account.user.id,
        family_id=family_id,
        scope=scope_string(scopes),
        client_id=client.client_id if client else None,
    )
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        scope=issued.scope,
        refresh_token=refresh,
    )


async def refresh_grant(
    session: AsyncSession,
    deps: OAuthDeps,
    *,
    refresh_token: str,
    scope: str | None,
    credentials: ClientCredentials | None,
) -> TokenResponse:
    await claim_writer(session)  # reads, checks a hash, then writes
    client = await _client(session, deps, credentials)
    repo, now = RefreshTokenRepository(session), utcnow()
    row = await repo.by_hash(refresh_hash(refresh_token))
    if row is None or row.revoked_at is not None:
        raise OAuthError("invalid_grant", "refresh token is not valid")
    if row.used_at is not None:
        await repo.revoke_family(row.family_id, now)
        raise OAuthError("invalid_grant", "refresh token was already used; the session is revoked")
    if row.expires_at <= now:
        raise OAuthError("invalid_grant", "refresh token expired")
    if row.client_id is not None and (client is None or client.client_id != row.client_id):
        raise OAuthError("invalid_grant", "refresh token was issued to another client")
    account = await accounts.active_account(session, row.user_id)
    if account is None:
        await repo.revoke_family(row.family_id, now)
        raise OAuthError("invalid_grant", "the account is disabled")
    # The family keeps its original scope; the account's current roles can only narrow it.
    granted = account.scopes & frozenset(row.scope.split())
    scopes = narrow(granted, scope)
    if not await repo.mark_used(row.id, now):  # a concurrent request spent it first
        await repo.revoke_family(row.family_id, now)
        raise OAuthError("invalid_grant", "refresh token was already used; the session is revoked")
    issued = await deps.minter.mint(account.subject(scopes, session_id=row.family_id))
    refresh = await _new_refresh_token(
        session,
        deps,
        user_id=row.user_id,
        family_id=row.family_id,
        scope=row.scope,
        client_id=row.client_id,
    )
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        scope=issued.scope,
        refresh_token=refresh,
    )


async def client_credentials_grant(
    session: AsyncSession,
    deps: OAuthDeps,
    *,
    scope: str | None,
    credentials: ClientCredentials | None,
) -> TokenResponse:
    client = await _client(session, deps, credentials)
    if client is None:
        raise OAuthError("invalid_client", "client authentication required")
    scopes = narrow(frozenset(client.scopes), scope)
    issued = await deps.minter.mint(client_subject(client, scopes))
    return TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
    )


async def revoke(
    session: AsyncSession,
    deps: OAuthDeps,
    *,
    token: str,
    credentials: ClientCredentials | None,
) -> None:
    """RFC 7009: revoke a refresh token's family. Unknown tokens (and access tokens, which are
    short-lived) are accepted silently, so the answer reveals nothing."""
    await claim_writer(session)  # reads, checks a hash, then writes
    client = await _client(session, deps, credentials)
    repo = RefreshTokenRepository(session)
    row = await repo.by_hash(refresh_hash(token)) if token.startswith(REFRESH_PREFIX) else None
    if row is None:
        return
    if row.client_id is not None and (client is None or client.client_id != row.client_id):
        raise OAuthError("unauthorized_client", "the token was issued to another client")
    await repo.revoke_family(row.family_id, utcnow())
