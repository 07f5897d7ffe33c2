"""OAuth clients: third-party systems and the platform's own services (client credentials)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_gateway.identity.models import OAuthClient
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.repositories import (
    AccessRevocationRepository,
    ClientRepository,
    subject_key,
)
from zhdj_gateway.identity.schemas import ClientCreate, ClientUpdate
from zhdj_gateway.identity.tokens import TokenSubject
from zhdj_shared.db import utcnow
from zhdj_shared.errors import NotFound
from zhdj_shared.pagination import build_page, decode_cursor

CLIENT_ID_PREFIX = "zc_"
CLIENT_SECRET_PREFIX = "zcs_"  # noqa: S105 - a prefix, not a secret


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(10)


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewSecret:
    client: OAuthClient
    secret: str


def client_subject(client: OAuthClient, scopes: Iterable[str] | None = None) -> TokenSubject:
    return TokenSubject(
        subject=client.client_id,
        kind="client",
        scopes=frozenset(client.scopes if scopes is None else scopes),
        roles=frozenset(client.roles),
        orgs=frozenset(client.orgs),
        name=client.name,
        client_id=client.client_id,
    )


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient:
    client = await ClientRepository(session).get(client_id)
    if client is None:
        raise NotFound("no such client")
    return client


async def list_clients(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[OAuthClient], str | None]:
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows = await ClientRepository(session).page(after=after, limit=limit)
    return build_page(rows, limit, lambda c: [c.client_id])


async def create_client(
    session: AsyncSession, hasher: PasswordHasher, body: ClientCreate
) -> NewSecret:
    secret = new_client_secret()
    client = OAuthClient(
        client_id=new_client_id(),
        name=body.name,
        secret_hash=await hasher.hash(secret),
        scopes=sorted(set(body.scopes)),
        roles=sorted({r.value for r in body.roles}),
        orgs=sorted(set(body.orgs)),
    )
    return NewSecret(await ClientRepository(session).save(client), secret)


async def update_client(session: AsyncSession, client_id: str, body: ClientUpdate) -> OAuthClient:
    client = await get_client(session, client_id)
    if body.name is not None:
        client.name = body.name
    if body.scopes is not None:
        client.scopes = sorted(set(body.scopes))
    if body.roles is not None:
        client.roles = sorted({r.value for r in body.roles})
    if body.orgs is not None:
        client.orgs = sorted(set(body.orgs))
    if body.is_active is not None:
        client.is_active = body.is_active
    client.updated_at = utcnow()
    if any(value is not None for value in (body.scopes, body.roles, body.orgs, body.is_active)):
        await _refuse_tokens_issued_so_far(session, client)
    return await ClientRepository(session).save(client)


async def _refuse_tokens_issued_so_far(session: AsyncSession, client: OAuthClient) -> None:
    """The client's tokens carry what it was allowed until now: refused at the edge from now."""
    await AccessRevocationRepository(session).revoke(subject_key(client.client_id), utcnow())


async def rotate_secret(session: AsyncSession, hasher: PasswordHasher, client_id: str) -> NewSecret:
    client = await get_client(session, client_id)
    secret = new_client_secret()
    client.secret_hash = await hasher.hash(secret)
    client.updated_at = utcnow()
    await _refuse_tokens_issued_so_far(session, client)  # the old secret may have leaked
    return NewSecret(await ClientRepository(session).save(client), secret)


async def deactivate_client(session: AsyncSession, client_id: str) -> OAuthClient:
    client = await get_client(session, client_id)
    client.is_active = False
    client.updated_at = utcnow()
    await _refuse_tokens_issued_so_far(session, client)
    return await ClientRepository(session).save(client)


async def authenticate_client(
    session: AsyncSession, hasher: PasswordHasher, client_id: str, secret: str
) -> OAuthClient | None:
    """The active client with these credentials, else None (same cost either way)."""
    client = await ClientRepository(session).get(client_id)
    ok = await hasher.verify(secret, client.secret_hash if client else None)
    if client is None or not ok or not client.is_active:
        return None
    return client


async def upsert_client(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    client_id: str,
    name: str,
    secret: str,
    scopes: Iterable[str],
    roles: Iterable[str],
) -> tuple[OAuthClient, bool]:
    """Create or align a client whose secret comes from configuration; True when created."""
    repo = ClientRepository(session)
    client = await repo.get(client_id)
    created = client is None
    if client is None:
        client = OAuthClient(client_id=client_id, name=name, secret_hash=await hasher.hash(secret))
    elif not await hasher.verify(secret, client.secret_hash):
        client.secret_hash = await hasher.hash(secret)
    client.name = name
    client.scopes = sorted(set(scopes))
    client.roles = sorted(set(roles))
    client.updated_at = utcnow()
    return await repo.save(client), created
