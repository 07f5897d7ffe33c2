"""API keys for third parties: ``zk_`` + 32 random base62 characters + a 6-character checksum.

Only HMAC-SHA256(pepper, key) is stored; the checksum lets the edge refuse a mistyped or made-up
key without touching the database. :class:`ApiKeyExchange` (``app.state.api_keys``) turns a key
into a short-lived access token for its client, cached until shortly before it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_gateway.identity.models import ApiKey, OAuthClient
from zhdj_gateway.identity.repositories import (
    AccessRevocationRepository,
    ApiKeyRepository,
    session_key,
)
from zhdj_gateway.identity.schemas import ApiKeyCreate
from zhdj_gateway.identity.services.clients import client_subject, get_client
from zhdj_gateway.identity.sessions import SessionSource
from zhdj_gateway.identity.tokens import TokenMinter
from zhdj_shared.db import utcnow
from zhdj_shared.errors import FieldError, NotFound, Unprocessable
from zhdj_shared.pagination import build_page, decode_cursor

if TYPE_CHECKING:
    from zhdj_gateway.identity.revocations import Revocations

PREFIX = "zk_"
BODY_LENGTH = 32
CHECKSUM_LENGTH = 6
_ALPHABET = string.digits + string.ascii_letters
_SHAPE = re.compile(rf"^{PREFIX}[0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}}$")


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    chars = []
    for _ in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_raw_key() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(BODY_LENGTH))
    return PREFIX + body + _checksum(body)


def well_formed(raw: str) -> bool:
    if not _SHAPE.match(raw):
        return False
    body = raw[len(PREFIX) : len(PREFIX) + BODY_LENGTH]
    return hmac.compare_digest(raw[-CHECKSUM_LENGTH:], _checksum(body))


def key_hash(pepper: str, raw: str) -> str:
    return hmac.new(pepper.encode(), raw.encode(), hashlib.sha256).hexdigest()


def usable(key: ApiKey, client: OAuthClient, now: datetime) -> bool:
    expired = key.expires_at is not None and key.expires_at <= now
    return key.revoked_at is None and not expired and client.is_active


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    raw: str


async def create_api_key(session: AsyncSession, pepper: str, body: ApiKeyCreate) -> NewApiKey:
    client = await get_client(session, body.client_id)
    beyond = sorted(set(body.scopes) - set(client.scopes))
    if beyond:
        raise Unprocessable(
            "An API key's scopes must be among its client's.",
            errors=[FieldError(field="scopes", message=f"not allowed: {' '.join(beyond)}")],
        )
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise Unprocessable(
            "The expiry is in the past.",
            errors=[FieldError(field="expires_at", message="must be in the future")],
        )
    raw = new_raw_key()
    key = ApiKey(
        client_id=client.client_id,
        key_hash=key_hash(pepper, raw),
        scopes=sorted(set(body.scopes)),
        label=body.label,
        last4=raw[-4:],
        expires_at=body.expires_at,
    )
    return NewApiKey(await ApiKeyRepository(session).save(key), raw)


async def list_api_keys(
    session: AsyncSession, *, client_id: str | None, cursor: str | None, limit: int
) -> tuple[list[ApiKey], str | None]:
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows = await ApiKeyRepository(session).page(client_id=client_id, after=after, limit=limit)
    return build_page(rows, limit, lambda k: [k.id])


async def revoke_api_key(session: AsyncSession, key_id: str) -> ApiKey:
    repo = ApiKeyRepository(session)
    key = await repo.get(key_id)
    if key is None:
        raise NotFound("no such API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await repo.save(key)
        # Other gateway replicas may hold a token exchanged for this key: refused at their edge.
        await AccessRevocationRepository(session).revoke(
            session_key(api_key_session(key.id)), key.revoked_at
        )
    return key


def api_key_session(key_id: str) -> str:
    """The ``sid`` of the tokens exchanged for one API key."""
    return "apikey:" + key_id


@dataclass(frozen=True)
class _Cached:
    token: str
    expires_at: float
    client_id: str
    claims: dict[str, Any]  # what a revocation is matched on: sub, sid, iat


class ApiKeyExchange:
    """``app.state.api_keys``: the edge's per-request API-key check."""

    def __init__(
        self,
        sessions: SessionSource,
        minter: TokenMinter,
        pepper: str,
        *,
        margin_seconds: float = 30.0,
        max_cached: int = 10_000,
        revocations: Revocations | None = None,
    ) -> None:
        self._sessions = sessions
        self._revocations = revocations
        self._minter = minter
        self._pepper = pepper
        self._margin = margin_seconds
        self._max = max_cached
        self._cache: OrderedDict[str, _Cached] = OrderedDict()

    async def token_for(self, raw_key: str) -> str | None:
        """An access token for the key's client with the key's scopes; None if not usable."""
        if not well_formed(raw_key):
            return None
        digest = key_hash(self._pepper, raw_key)
        cached = self._cache.get(digest)
        if cached is not None and self._still_good(cached):
            self._cache.move_to_end(digest)
            return cached.token
        self._cache.pop(digest, None)
        async with self._sessions() as session:
            found = await ApiKeyRepository(session).by_hash_with_client(digest)
        if found is None or not usable(*found, utcnow()):
            return None
        key, client = found
        scopes = set(key.scopes) & set(client.scopes)
        sid = api_key_session(key.id)
        issued = await self._minter.mint(replace(client_subject(client, scopes), session_id=sid))
        claims = {
            "sub": client.client_id,
            "sid": sid,
            "iat": int(issued.expires_at) - issued.expires_in,
        }
        self._cache[digest] = _Cached(
            issued.access_token, issued.expires_at, client.client_id, claims
        )
        if len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return issued.access_token

    def _still_good(self, cached: _Cached) -> bool:
        """Not about to expire, and neither the key nor its client revoked by any replica."""
        if cached.expires_at - self._margin <= time.time():
            return False
        return self._revocations is None or not self._revocations.refuses(cached.claims)

    def forget(self, key_hash_hex: str) -> None:
        """Drop a cached token (after a revocation in this process)."""
        self._cache.pop(key_hash_hex, None)

    def forget_client(self, client_id: str) -> None:
        for digest in [d for d, c in self._cache.items() if c.client_id == client_id]:
            del self._cache[digest]


async def get_api_key(session: AsyncSession, key_id: str) -> ApiKey:
    key = await ApiKeyRepository(session).get(key_id)
    if key is None:
        raise NotFound("no such API key")
    return key
