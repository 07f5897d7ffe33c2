"""What exists after every start: a signing key, the administrator, the platform's service
clients (secrets from the environment) and, for the embedded demo, demo users and a demo
third-party client. Idempotent: run at every start; only what is missing is created."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_gateway.identity.context import IdentityContext
from zhdj_gateway.identity.grants import service_client_scopes
from zhdj_gateway.identity.models import RoleAssignment, User
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.repositories import ClientRepository, UserRepository
from zhdj_gateway.identity.services.accounts import username_key
from zhdj_gateway.identity.services.clients import upsert_client
from zhdj_gateway.settings import GatewaySettings
from zhdj_shared.security.scopes import Role, Scope
from zhdj_shared.settings import DEMO_SECRET_MARKER

logger = logging.getLogger("zhdj.gateway.seed")

SERVICE_CLIENTS = ("registry", "activity", "service-requests", "assessment")
DEFAULT_DEMO_PASSWORD = DEMO_SECRET_MARKER + "2026"
DEMO_HOTLINE_CLIENT_ID = "demo-12345-hotline"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    org_id: str | None


DEMO_USERS = (
    DemoUser("xinhua_staff", "王敏（新华区委组织部）", Role.ORG_STAFF, "demo-d-xinhua"),
    DemoUser("dongcheng_staff", "刘洋（东城区委组织部）", Role.ORG_STAFF, "demo-d-dongcheng"),
    DemoUser(
        "chaoyang_secretary", "陈静（朝阳街道党工委书记）", Role.ORG_STAFF, "demo-s-xinhua-chaoyang"
    ),
    DemoUser(
        "service_center",
        "赵磊（朝阳街道党群服务中心）",
        Role.SERVICE_STAFF,
        "demo-s-xinhua-chaoyang",
    ),
    DemoUser("assessor", "孙丽（市委组织部考核组）", Role.ASSESSOR, "demo-city"),
    DemoUser("member_li", "李明（党员）", Role.MEMBER, "demo-s-xinhua-chaoyang"),
    DemoUser("resident_zhang", "张伟（居民）", Role.RESIDENT, None),
)


def demo_user_id(username: str) -> str:
    """A demo user's fixed id (``member_li`` -> ``demo-user-member-li``): the registry's demo
    data links 李明's member record and 张伟's household to these ids, so the demo city works
    across services from the first start."""
    return "demo-user-" + username.replace("_", "-")


def service_secret_variable(name: str) -> str:
    return f"ZHDJ_{name.upper().replace('-', '_')}_CLIENT_SECRET"


async def _create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    org_id: str | None,
    user_id: str | None = None,
) -> bool:
    repo = UserRepository(session)
    if await repo.by_username(username_key(username)) is not None:
        return False
    user = User(
        username=username,
        username_key=username_key(username),
        display_name=display_name,
        password_hash=await hasher.hash(password),
    )
    if user_id is not None:
        user.id = user_id
    user = await repo.save(user)
    session.add(RoleAssignment(user_id=user.id, role=role.value, org_id=org_id))
    await session.flush()
    return True


async def ensure_admin(
    session: AsyncSession, hasher: PasswordHasher, settings: GatewaySettings
) -> str | None:
    """Creates the administrator once; returns the password when it was generated."""
    password = settings.admin_password or secrets.token_urlsafe(12)
    created = await _create_user(
        session,
        hasher,
        username=settings.admin_username,
        display_name="平台管理员",
        password=password,
        role=Role.ADMIN,
        org_id=None,
    )
    return password if created and not settings.admin_password else None


async def upsert_service_clients(
    session: AsyncSession, hasher: PasswordHasher, env: Mapping[str, str]
) -> list[str]:
    """``svc-<name>`` for every service whose ``ZHDJ_<NAME>_CLIENT_SECRET`` is set."""
    done = []
    for name in SERVICE_CLIENTS:
        secret = env.get(service_secret_variable(name))
        if not secret:
            continue
        await upsert_client(
            session,
            hasher,
            client_id=f"svc-{name}",
            name=f"平台服务 {name}",
            secret=secret,
            scopes=service_client_scopes(name),
            roles=[Role.SERVICE.value],
        )
        done.append(f"svc-{name}")
    return done


async def load_demo_users(
    session: AsyncSession, hasher: PasswordHasher, env: Mapping[str, str]
) -> list[str]:
    password = env.get("ZHDJ_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    created = []
    for demo in DEMO_USERS:
        if await _create_user(
            session,
            hasher,
            username=demo.username,
            display_name=demo.display_name,
            password=password,
            role=demo.role,
            org_id=demo.org_id,
            user_id=demo_user_id(demo.username),
        ):
            created.append(demo.username)
    return created


async def load_demo_client(session: AsyncSession, hasher: PasswordHasher) -> str | None:
    """The demo 12345 hotline (a third party); returns its secret when it was just created."""
    if await ClientRepository(session).get(DEMO_HOTLINE_CLIENT_ID) is not None:
        return None
    secret = DEMO_SECRET_MARKER + secrets.token_urlsafe(16)
    await upsert_client(
        session,
        hasher,
        client_id=DEMO_HOTLINE_CLIENT_ID,
        name="12345 政务服务便民热线（演示）",
        secret=secret,
        scopes=[Scope.REQUESTS_READ.value, Scope.REQUESTS_WRITE.value],
        roles=[Role.THIRD_PARTY.value],
    )
    return secret


async def seed(ctx: IdentityContext, env: Mapping[str, str] | None = None) -> list[str]:
    """Everything but the signing key; returns the lines to print (credentials shown once)."""
    env = os.environ if env is None else env
    settings, hasher, lines = ctx.settings, ctx.hasher, []
    async with ctx.sessions() as session:
        generated = await ensure_admin(session, hasher, settings)
        if generated:
            lines.append(f"admin password: {generated}")
        await upsert_service_clients(session, hasher, env)
        if settings.load_demo_data and _demo_allowed(settings, env):
            users = await load_demo_users(session, hasher, env)
            if users:
                password = env.get("ZHDJ_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
                lines.append(f"demo users (password {password}): {', '.join(users)}")
            secret = await load_demo_client(session, hasher)
            if secret:
                lines.append(f"demo client: {DEMO_HOTLINE_CLIENT_ID} secret: {secret}")
    return lines


def _demo_allowed(settings: GatewaySettings, env: Mapping[str, str]) -> bool:
    password = env.get("ZHDJ_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    if settings.platform.env == "production" and password.startswith(DEMO_SECRET_MARKER):
        logger.warning("demo users skipped: production with the demo password")
        return False
    return True


async def bootstrap(app: FastAPI) -> None:
    """The identity app's start-up hook (tests call it directly: ASGITransport has no lifespan)."""
    ctx: IdentityContext = app.state.identity
    await ctx.key_store.ensure_signing_key()
    for line in await seed(ctx):
        print(line, flush=True)
