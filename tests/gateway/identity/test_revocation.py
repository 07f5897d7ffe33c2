"""Access tokens refused before they expire, at the edge, for every service behind it.

The whole gateway (edge + real identity app) on a committed database (SQLite and PostgreSQL)
is served by uvicorn with its lifespan, so each process's background read of
``access_revocations`` runs as in production; an echo app stands for a service. A second
gateway on the same database stands for another replica: it learns of a revocation made by
the first within its poll interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlmodel import select

from tests.gateway.identity.conftest import ADMIN_PASSWORD, TEST_HASHER, make_settings
from tests.support.databases import migrated_url
from tests.support.serving import serve
from zhdj_gateway.app import create_app
from zhdj_gateway.identity.app import MIGRATIONS_DIR, create_identity_app
from zhdj_gateway.identity.models import AccessRevocation
from zhdj_gateway.identity.repositories import (
    AccessRevocationRepository,
    session_key,
    subject_key,
)
from zhdj_gateway.identity.revocations import Revocations
from zhdj_gateway.identity.sessions import SessionSource, unit_of_work
from zhdj_shared.db import Database, utcnow
from zhdj_shared.security.tokens import LEEWAY_SECONDS

POLL_SECONDS = 0.1
PASSWORD = "Revoke-pass-2026"
ECHO = "/api/registry/echo/whoami"


def echo_service() -> FastAPI:
    """A service that accepts any bearer token: what the edge lets through reaches it."""
    app = FastAPI()

    @app.get(ECHO)
    async def whoami(request: Request) -> dict[str, Any]:
        return {"authorization": request.headers.get("authorization")}

    return app


@dataclass
class Gateway:
    http: httpx.AsyncClient

    async def login(self, username: str, password: str) -> dict[str, Any]:
        answer = await self.http.post(
            "/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.http.post(
            "/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    async def call(self, token: str) -> httpx.Response:
        return await self.http.get(ECHO, headers={"Authorization": f"Bearer {token}"})


@asynccontextmanager
async def gateway(database: Database, service_url: str) -> AsyncIterator[Gateway]:
    settings = make_settings(
        revocation_poll_seconds=POLL_SECONDS,
        rate_limit_per_ip=10_000,
        rate_limit_ip_burst=10_000,
    )
    identity = create_identity_app(settings, database=database, password_hasher=TEST_HASHER)
    app = create_app(settings, identity_app=identity, upstreams={"registry": service_url})
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield Gateway(http)


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(await migrated_url("gateway-revocation", backend, MIGRATIONS_DIR, tmp_path))
    yield db
    await db.dispose()


@pytest.fixture
async def service_url() -> AsyncIterator[str]:
    async with serve(echo_service()) as url:
        yield url


async def passes_soon(gw: Gateway, token: str, *, expected: int) -> httpx.Response:
    """The answer to ``token`` once the gateway's copy has caught up (a few poll rounds)."""
    for _ in range(50):
        answer = await gw.call(token)
        if answer.status_code == expected:
            return answer
        await asyncio.sleep(POLL_SECONDS)
    return answer


async def new_user(gw: Gateway, admin: str, username: str) -> str:
    answer = await gw.http.post(
        "/auth/users",
        json={
            "username": username,
            "password": PASSWORD,
            "display_name": "撤销测试",
            "roles": [{"role": "org_staff", "org_id": "demo-d-xinhua"}],
        },
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert answer.status_code == 201, answer.text
    user_id: str = answer.json()["id"]
    return user_id


def assert_revoked(answer: httpx.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "revoked" in answer.json()["detail"]
    assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_signing_out_refuses_that_sessions_access_token_only(
    database: Database, service_url: str
) -> None:
    async with gateway(database, service_url) as gw:
        admin = (await gw.login("admin", ADMIN_PASSWORD))["access_token"]
        await new_user(gw, admin, "revoke_one")
        phone = await gw.login("revoke_one", PASSWORD)
        laptop = await gw.login("revoke_one", PASSWORD)
        assert (await gw.call(phone["access_token"])).status_code == 200

        revoked = await gw.http.post("/auth/revoke", data={"token": phone["refresh_token"]})
        assert revoked.status_code == 200

        assert_revoked(await passes_soon(gw, phone["access_token"], expected=401))
        assert (await gw.call(laptop["access_token"])).status_code == 200  # another session
        # the identity app's own routes are behind the same check
        me = await gw.http.get(
            "/auth/me", headers={"Authorization": f"Bearer {phone['access_token']}"}
        )
        assert_revoked(me)


async def test_a_reused_refresh_token_refuses_the_thiefs_access_token(
    database: Database, service_url: str
) -> None:
    async with gateway(database, service_url) as gw:
        admin = (await gw.login("admin", ADMIN_PASSWORD))["access_token"]
        await new_user(gw, admin, "revoke_stolen")
        victim = await gw.login("revoke_stolen", PASSWORD)
        thief = (await gw.refresh(victim["refresh_token"])).json()  # the stolen one, used first
        assert (await gw.call(thief["access_token"])).status_code == 200

        reuse = await gw.refresh(victim["refresh_token"])  # the victim's app tries it again
        assert reuse.status_code == 400

        assert_revoked(await passes_soon(gw, thief["access_token"], expected=401))
        assert_revoked(await gw.call(victim["access_token"]))


async def test_a_disabled_account_is_refused_at_once_and_others_are_not(
    database: Database, service_url: str
) -> None:
    async with gateway(database, service_url) as gw:
        admin = (await gw.login("admin", ADMIN_PASSWORD))["access_token"]
        user_id = await new_user(gw, admin, "revoke_disabled")
        await new_user(gw, admin, "revoke_bystander")
        token = (await gw.login("revoke_disabled", PASSWORD))["access_token"]
        bystander = (await gw.login("revoke_bystander", PASSWORD))["access_token"]

        disabled = await gw.http.patch(
            f"/auth/users/{user_id}",
            json={"is_active": False},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert disabled.status_code == 200, disabled.text

        assert_revoked(await passes_soon(gw, token, expected=401))
        assert (await gw.call(bystander)).status_code == 200
        assert (await gw.call(admin)).status_code == 200


async def test_changed_roles_refuse_old_tokens_and_the_refreshed_one_passes(
    database: Database, service_url: str
) -> None:
    async with gateway(database, service_url) as gw:
        admin = (await gw.login("admin", ADMIN_PASSWORD))["access_token"]
        user_id = await new_user(gw, admin, "revoke_roles")
        session = await gw.login("revoke_roles", PASSWORD)
        # A token of the change's own second passes (the documented one-second window).
        await asyncio.sleep(1.05)

        changed = await gw.http.patch(
            f"/auth/users/{user_id}",
            json={"roles": [{"role": "org_staff", "org_id": "demo-d-dongcheng"}]},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert changed.status_code == 200, changed.text
        assert_revoked(await passes_soon(gw, session["access_token"], expected=401))

        refreshed = await gw.refresh(session["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        new_token = refreshed.json()["access_token"]
        me = await gw.http.get("/auth/me", headers={"Authorization": f"Bearer {new_token}"})
        assert me.status_code == 200
        assert {r["org_id"] for r in me.json()["roles"]} == {"demo-d-dongcheng"}


async def test_another_replica_learns_of_a_revocation_within_its_poll(
    database: Database, service_url: str
) -> None:
    async with gateway(database, service_url) as first, gateway(database, service_url) as second:
        admin = (await first.login("admin", ADMIN_PASSWORD))["access_token"]
        await new_user(first, admin, "revoke_replica")
        session = await first.login("revoke_replica", PASSWORD)
        assert (await second.call(session["access_token"])).status_code == 200

        await first.http.post("/auth/revoke", data={"token": session["refresh_token"]})

        assert_revoked(await passes_soon(second, session["access_token"], expected=401))
        async with database.sessionmaker() as s:
            keys = (await s.exec(select(AccessRevocation.key))).all()
        assert any(key.startswith("sid:") for key in keys)


async def test_a_gateway_started_later_refuses_what_was_revoked_before(
    database: Database, service_url: str
) -> None:
    async with gateway(database, service_url) as gw:
        admin = (await gw.login("admin", ADMIN_PASSWORD))["access_token"]
        await new_user(gw, admin, "revoke_restart")
        session = await gw.login("revoke_restart", PASSWORD)
        await gw.http.post("/auth/revoke", data={"token": session["refresh_token"]})
    async with gateway(database, service_url) as restarted:
        assert_revoked(await restarted.call(session["access_token"]))  # read at start


async def test_a_client_given_a_new_secret_or_deactivated_loses_its_old_tokens(
    database: Database, service_url: str
) -> None:
    async with gateway(database, service_url) as gw:
        admin = {
            "Authorization": f"Bearer {(await gw.login('admin', ADMIN_PASSWORD))['access_token']}"
        }
        created = await gw.http.post(
            "/auth/clients",
            json={"name": "街道对接系统", "scopes": ["requests:read"]},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        client_id, secret = created.json()["client_id"], created.json()["client_secret"]

        async def client_token(client_secret: str) -> str:
            answer = await gw.http.post(
                "/auth/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, client_secret),
            )
            assert answer.status_code == 200, answer.text
            token: str = answer.json()["access_token"]
            return token

        old = await client_token(secret)
        await asyncio.sleep(1.05)  # past the one-second window of a subject's revocation
        rotated = await gw.http.post(f"/auth/clients/{client_id}/secret", headers=admin)
        assert rotated.status_code == 200, rotated.text
        assert_revoked(await passes_soon(gw, old, expected=401))

        await asyncio.sleep(1.05)
        fresh = await client_token(rotated.json()["client_secret"])
        assert (await gw.call(fresh)).status_code == 200
        await asyncio.sleep(1.05)
        gone = await gw.http.delete(f"/auth/clients/{client_id}", headers=admin)
        assert gone.status_code == 204
        assert_revoked(await passes_soon(gw, fresh, expected=401))


async def test_a_revoked_api_key_stops_on_every_replica(
    database: Database, service_url: str
) -> None:
    """Each replica caches the token it exchanged for a key; the replica that did not handle
    the revocation used to keep accepting the key for up to a token's lifetime."""
    async with gateway(database, service_url) as first, gateway(database, service_url) as second:
        admin = await first.login("admin", ADMIN_PASSWORD)
        headers = {"Authorization": f"Bearer {admin['access_token']}"}
        client = await first.http.post(
            "/auth/clients", json={"name": "网格系统", "scopes": ["requests:read"]}, headers=headers
        )
        assert client.status_code == 201, client.text
        created = await first.http.post(
            "/auth/api-keys",
            json={
                "client_id": client.json()["client_id"],
                "label": "网格终端",
                "scopes": ["requests:read"],
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        key = {"X-API-Key": created.json()["key"]}
        assert (await second.http.get(ECHO, headers=key)).status_code == 200  # cached there

        gone = await first.http.delete(f"/auth/api-keys/{created.json()['id']}", headers=headers)
        assert gone.status_code == 204

        for _ in range(50):
            answer = await second.http.get(ECHO, headers=key)
            if answer.status_code == 401:
                break
            await asyncio.sleep(POLL_SECONDS)
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_copy_compares_by_kind_and_forgets_and_purges_what_no_token_can_match(
    database: Database,
) -> None:
    """A session's revocation refuses its tokens of that second; an account's, only those of
    the seconds before (a fresh token right after a role change must pass). Revocations older
    than a token's lifetime are dropped from memory and purged from the table."""
    ttl = 900
    now = utcnow().replace(microsecond=500_000)
    second = int(now.timestamp())
    long_ago = now - timedelta(seconds=ttl + LEEWAY_SECONDS + 5)
    async for session in database.unit_of_work():
        repo = AccessRevocationRepository(session)
        await repo.revoke(session_key("family-1"), now)
        await repo.revoke(subject_key("user-1"), now)
        await repo.revoke(session_key("family-old"), long_ago)
    revocations = Revocations(SessionSource(unit_of_work(database)), token_ttl_seconds=ttl)
    await revocations.read()

    def refused(**claims: Any) -> bool:
        return revocations.refuses({"sub": "someone", **claims})

    assert refused(sid="family-1", iat=second)
    assert not refused(sid="family-1", iat=second + 1)  # (a revoked family issues no more)
    assert refused(sub="user-1", iat=second - 1)
    assert not refused(sub="user-1", iat=second)  # the one-second window, on purpose
    assert not refused(sid="family-old", iat=int(long_ago.timestamp()))  # forgotten
    assert not refused(sid="family-2", iat=second)

    await revocations.purge()
    async with database.sessionmaker() as s:
        keys = set((await s.exec(select(AccessRevocation.key))).all())
    assert keys == {session_key("family-1"), subject_key("user-1")}
