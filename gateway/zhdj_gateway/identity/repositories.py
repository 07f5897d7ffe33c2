"""Every query of the identity store. Repositories add and flush; they never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_gateway.identity.models import (
    AccessRevocation,
    ApiKey,
    OAuthClient,
    RefreshToken,
    RoleAssignment,
    SigningKey,
    User,
)

T = TypeVar("T")


class _Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _save(self, row: T) -> T:
        self.session.add(row)
        await self.session.flush()
        return row


class UserRepository(_Repository):
    async def get(self, user_id: str) -> User | None:
        return await self.session.get(User, user_id)

    async def by_username(self, username_key: str) -> User | None:
        result = await self.session.exec(select(User).where(User.username_key == username_key))
        return result.first()

    async def page(self, *, after: str | None, limit: int) -> Sequence[User]:
        query = select(User).order_by(col(User.id)).limit(limit + 1)
        if after is not None:
            query = query.where(col(User.id) > after)
        return (await self.session.exec(query)).all()

    async def save(self, user: User) -> User:
        return await self._save(user)

    async def roles_of(self, user_ids: Sequence[str]) -> dict[str, list[RoleAssignment]]:
        found: dict[str, list[RoleAssignment]] = {user_id: [] for user_id in user_ids}
        if not user_ids:
            return found
        query = (
            select(RoleAssignment)
            .where(col(RoleAssignment.user_id).in_(user_ids))
            .order_by(col(RoleAssignment.role), col(RoleAssignment.org_id))
        )
        for row in (await self.session.exec(query)).all():
            found[row.user_id].append(row)
        return found

    async def replace_roles(
        self, user_id: str, assignments: Sequence[tuple[str, str | None]]
    ) -> list[RoleAssignment]:
        await self.session.exec(
            delete(RoleAssignment).where(col(RoleAssignment.user_id) == user_id)
        )
        rows = [RoleAssignment(user_id=user_id, role=role, org_id=org) for role, org in assignments]
        self.session.add_all(rows)
        await self.session.flush()
        return rows


class ClientRepository(_Repository):
    async def get(self, client_id: str) -> OAuthClient | None:
        return await self.session.get(OAuthClient, client_id)

    async def page(self, *, after: str | None, limit: int) -> Sequence[OAuthClient]:
        query = select(OAuthClient).order_by(col(OAuthClient.client_id)).limit(limit + 1)
        if after is not None:
            query = query.where(col(OAuthClient.client_id) > after)
        return (await self.session.exec(query)).all()

    async def save(self, client: OAuthClient) -> OAuthClient:
        return await self._save(client)


class ApiKeyRepository(_Repository):
    async def get(self, key_id: str) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def by_hash_with_client(self, key_hash: str) -> tuple[ApiKey, OAuthClient] | None:
        query = (
            select(ApiKey, OAuthClient)
            .join(OAuthClient, col(OAuthClient.client_id) == col(ApiKey.client_id))
            .where(ApiKey.key_hash == key_hash)
        )
        row = (await self.session.exec(query)).first()
        return (row[0], row[1]) if row else None

    async def page(
        self, *, client_id: str | None, after: str | None, limit: int
    ) -> Sequence[ApiKey]:
        query = select(ApiKey).order_by(col(ApiKey.id)).limit(limit + 1)
        if client_id is not None:
            query = query.where(ApiKey.client_id == client_id)
        if after is not None:
            query = query.where(col(ApiKey.id) > after)
        return (await self.session.exec(query)).all()

    async def save(self, key: ApiKey) -> ApiKey:
        return await self._save(key)


class RefreshTokenRepository(_Repository):
    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        result = await self.session.exec(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        )
        return result.first()

    async def save(self, token: RefreshToken) -> RefreshToken:
        return await self._save(token)

    async def mark_used(self, token_id: str, now: datetime) -> bool:
        """Spend a token once: False when another request spent or revoked it first."""
        result = await self.session.exec(
            update(RefreshToken)
            .where(
                col(RefreshToken.id) == token_id,
                col(RefreshToken.used_at).is_(None),
                col(RefreshToken.revoked_at).is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        """The session ends: its refresh tokens, and the access tokens it has issued."""
        await self.session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        await AccessRevocationRepository(self.session).revoke(session_key(family_id), now)

    async def revoke_for_user(self, user_id: str, now: datetime) -> None:
        """Every session of the account ends, its access tokens included."""
        live = col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None)
        families = (
            await self.session.exec(select(RefreshToken.family_id).where(*live).distinct())
        ).all()
        await self.session.exec(
            update(RefreshToken)
            .where(*live)
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        revocations = AccessRevocationRepository(self.session)
        for family_id in families:
            await revocations.revoke(session_key(family_id), now)
        await revocations.revoke(subject_key(user_id), now)


SESSION_PREFIX = "sid:"  # a refresh-token family (one sign-in) that ended
SUBJECT_PREFIX = "sub:"  # a user or client whose account changed


def session_key(family_id: str) -> str:
    return SESSION_PREFIX + family_id


def subject_key(subject: str) -> str:
    return SUBJECT_PREFIX + subject


class AccessRevocationRepository(_Repository):
    async def revoke(self, key: str, now: datetime) -> None:
        """Refuse the access tokens issued for ``key`` up to ``now`` (a later call moves it)."""
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(AccessRevocation).values(key=key, revoked_at=now)
        await self.session.exec(
            statement.on_conflict_do_update(
                index_elements=["key"], set_={"revoked_at": statement.excluded.revoked_at}
            )
        )

    async def since(self, moment: datetime) -> Sequence[tuple[str, datetime]]:
        """Revocations made (or moved) at or after ``moment``."""
        rows = await self.session.exec(
            select(AccessRevocation.key, AccessRevocation.revoked_at).where(
                col(AccessRevocation.revoked_at) >= moment
            )
        )
        return [(key, revoked_at) for key, revoked_at in rows.all()]

    async def purge_before(self, moment: datetime) -> int:
        """Forget revocations older than any access token still alive."""
        result = await self.session.exec(
            delete(AccessRevocation).where(col(AccessRevocation.revoked_at) < moment)
        )
        return result.rowcount or 0


class SigningKeyRepository(_Repository):
    async def get(self, kid: str) -> SigningKey | None:
        return await self.session.get(SigningKey, kid)

    async def published(self, now: datetime) -> Sequence[SigningKey]:
        """Keys in the JWKS at ``now``: no successor yet, or tokens they signed still valid."""
        query = (
            select(SigningKey)
            .where(
                or_(
                    col(SigningKey.retire_after).is_(None),
                    col(SigningKey.retire_after) > now,
                )
            )
            .order_by(col(SigningKey.created_at).desc())
        )
        return (await self.session.exec(query)).all()

    async def all(self) -> Sequence[SigningKey]:
        query = select(SigningKey).order_by(col(SigningKey.created_at).desc())
        return (await self.session.exec(query)).all()

    async def supersede(self, *, retire_after: datetime) -> None:
        """Every key without a successor gets one: it leaves the JWKS at ``retire_after``."""
        await self.session.exec(
            update(SigningKey)
            .where(col(SigningKey.retire_after).is_(None))
            .values(status="retired", retire_after=retire_after)
            .execution_options(synchronize_session="fetch")
        )

    async def save(self, key: SigningKey) -> SigningKey:
        return await self._save(key)
