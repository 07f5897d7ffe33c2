"""Users: registration, administration, password checks, and what their tokens carry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_gateway.identity.grants import scopes_for_roles
from zhdj_gateway.identity.models import RoleAssignment, User
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.repositories import (
    AccessRevocationRepository,
    RefreshTokenRepository,
    UserRepository,
    subject_key,
)
from zhdj_gateway.identity.schemas import RegisterRequest, RoleGrant, UserCreate, UserUpdate
from zhdj_gateway.identity.tokens import TokenSubject
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, NotFound
from zhdj_shared.pagination import build_page, decode_cursor
from zhdj_shared.security.scopes import Role


@dataclass(frozen=True)
class Account:
    user: User
    roles: list[RoleAssignment]

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    @property
    def orgs(self) -> frozenset[str]:
        return frozenset(r.org_id for r in self.roles if r.org_id)

    @property
    def scopes(self) -> frozenset[str]:
        return scopes_for_roles(self.role_codes)

    def subject(
        self, scopes: frozenset[str] | None = None, *, session_id: str | None = None
    ) -> TokenSubject:
        return TokenSubject(
            subject=self.user.id,
            kind="user",
            scopes=self.scopes if scopes is None else scopes,
            roles=self.role_codes,
            orgs=self.orgs,
            name=self.user.display_name,
            session_id=session_id,
        )


def username_key(username: str) -> str:
    return username.strip().casefold()


def _role_pairs(grants: Sequence[RoleGrant]) -> list[tuple[str, str | None]]:
    return sorted({(g.role.value, g.org_id) for g in grants}, key=lambda p: (p[0], p[1] or ""))


async def _account(repo: UserRepository, user: User) -> Account:
    roles = await repo.roles_of([user.id])
    return Account(user, roles[user.id])


async def get_account(session: AsyncSession, user_id: str) -> Account:
    repo = UserRepository(session)
    user = await repo.get(user_id)
    if user is None:
        raise NotFound("no such user")
    return await _account(repo, user)


async def list_accounts(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[Account], str | None]:
    repo = UserRepository(session)
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    users, next_cursor = build_page(
        await repo.page(after=after, limit=limit), limit, lambda u: [u.id]
    )
    roles = await repo.roles_of([u.id for u in users])
    return [Account(u, roles[u.id]) for u in users], next_cursor


async def _create(
    session: AsyncSession,
    hasher: PasswordHasher,
    body: RegisterRequest,
    roles: Sequence[tuple[str, str | None]],
    *,
    active: bool = True,
) -> Account:
    repo = UserRepository(session)
    key = username_key(body.username)
    if await repo.by_username(key) is not None:
        raise _username_taken()
    user = User(
        username=body.username,
        username_key=key,
        display_name=body.display_name,
        phone=body.phone,
        password_hash=await hasher.hash(body.password),
        is_active=active,
    )
    try:
        await repo.save(user)
    except IntegrityError as exc:
        # A concurrent creation of the same username committed after our check (PostgreSQL:
        # this insert waited for it on the unique index): the same answer as the check's.
        raise _username_taken() from exc
    return Account(user, await repo.replace_roles(user.id, roles))


def _username_taken() -> Conflict:
    return Conflict(
        "this username is taken", errors=[FieldError(field="username", message="already taken")]
    )


async def register_resident(
    session: AsyncSession, hasher: PasswordHasher, body: RegisterRequest
) -> Account:
    return await _create(session, hasher, body, [(Role.RESIDENT.value, None)])


async def create_account(
    session: AsyncSession, hasher: PasswordHasher, body: UserCreate
) -> Account:
    return await _create(session, hasher, body, _role_pairs(body.roles), active=body.is_active)


async def update_account(session: AsyncSession, user_id: str, body: UserUpdate) -> Account:
    account = await get_account(session, user_id)
    user, repo = account.user, UserRepository(session)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("display_name") is not None:
        user.display_name = changes["display_name"]
    if "phone" in changes:
        user.phone = changes["phone"]
    if changes.get("is_active") is not None:
        user.is_active = changes["is_active"]
        if not user.is_active:
            await RefreshTokenRepository(session).revoke_for_user(user.id, utcnow())
    user.updated_at = utcnow()
    await repo.save(user)
    roles = account.roles
    if body.roles is not None:
        roles = await repo.replace_roles(user.id, _role_pairs(body.roles))
        # Tokens already issued carry the old roles: refused from now on; the next refresh
        # (or sign-in) gives the new ones.
        await AccessRevocationRepository(session).revoke(subject_key(user.id), utcnow())
    return Account(user, roles)


async def reset_password(
    session: AsyncSession, hasher: PasswordHasher, user_id: str, password: str
) -> None:
    account = await get_account(session, user_id)
    account.user.password_hash = await hasher.hash(password)
    account.user.updated_at = utcnow()
    await UserRepository(session).save(account.user)
    # A reset password ends every session of the account.
    await RefreshTokenRepository(session).revoke_for_user(user_id, utcnow())


async def authenticate(
    session: AsyncSession, hasher: PasswordHasher, username: str, password: str
) -> Account | None:
    """The active account with this username and password, else None (same cost either way)."""
    repo = UserRepository(session)
    user = await repo.by_username(username_key(username))
    ok = await hasher.verify(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        return None
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = await hasher.hash(password)
        await repo.save(user)
    return await _account(repo, user)


async def active_account(session: AsyncSession, user_id: str) -> Account | None:
    repo = UserRepository(session)
    user = await repo.get(user_id)
    if user is None or not user.is_active:
        return None
    return await _account(repo, user)
