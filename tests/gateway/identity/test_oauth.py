"""The token endpoint (RFC 6749): grants, refresh rotation and reuse detection, login throttling,
client authentication, error format, revocation (RFC 7009), and a standard client library."""

from __future__ import annotations

import base64
import os
import uuid
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from redis.asyncio import Redis

from tests.gateway.identity.conftest import ADMIN_PASSWORD, BASE_URL, Harness
from zhdj_gateway.identity.throttle import IP_LIMIT_FACTOR, MemoryLoginThrottle, RedisLoginThrottle
from zhdj_shared.security.scopes import Role

RESIDENT = {"username": "resident_wang", "password": "Wang-pass-2026", "display_name": "王芳"}


async def _register(harness: Harness, **overrides: Any) -> dict[str, Any]:
    response = await harness.client.post("/auth/register", json={**RESIDENT, **overrides})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _client(harness: Harness, scopes: list[str], **extra: Any) -> dict[str, Any]:
    response = await harness.client.post(
        "/auth/clients",
        json={"name": "12345 热线", "scopes": scopes, **extra},
        headers=await harness.admin(),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def _refresh(harness: Harness, token: str) -> httpx.Response:
    return await harness.client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": token}
    )


async def test_password_grant_returns_tokens_with_the_users_claims(harness: Harness) -> None:
    user = await _register(harness)
    response = await harness.password_login(RESIDENT["username"].upper(), RESIDENT["password"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"].startswith("zr_")
    assert body["scope"] == "registry:read requests:read requests:write"
    me = await harness.client.get(
        "/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["subject"] == user["id"]
    assert me.json()["roles"] == [{"role": Role.RESIDENT.value, "org_id": None}]


async def test_scope_parameter_narrows_and_cannot_widen(harness: Harness) -> None:
    await _register(harness)
    narrowed = await harness.password_login(
        RESIDENT["username"], RESIDENT["password"], scope="requests:read"
    )
    assert narrowed.json()["scope"] == "requests:read"
    widened = await harness.password_login(
        RESIDENT["username"], RESIDENT["password"], scope="registry:write"
    )
    assert widened.status_code == 400
    assert widened.json()["error"] == "invalid_scope"


async def test_refresh_rotates_and_reuse_revokes_the_family(harness: Harness) -> None:
    await _register(harness)
    first = (await harness.password_login(RESIDENT["username"], RESIDENT["password"])).json()

    second = await _refresh(harness, first["refresh_token"])
    assert second.status_code == 200, second.text
    second_body = second.json()
    assert second_body["refresh_token"] != first["refresh_token"]
    assert second_body["access_token"] != first["access_token"]

    # the spent token is presented again: someone copied it
    reused = await _refresh(harness, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert reused.headers["cache-control"] == "no-store"

    # ... so the whole family is revoked, the newest token included
    newest = await _refresh(harness, second_body["refresh_token"])
    assert newest.status_code == 400
    assert newest.json()["error"] == "invalid_grant"

    # a fresh login starts a new, working family
    again = (await harness.password_login(RESIDENT["username"], RESIDENT["password"])).json()
    assert (await _refresh(harness, again["refresh_token"])).status_code == 200


async def test_revoke_ends_the_refresh_family(harness: Harness) -> None:
    await _register(harness)
    tokens = (await harness.password_login(RESIDENT["username"], RESIDENT["password"])).json()
    rotated = (await _refresh(harness, tokens["refresh_token"])).json()
    revoked = await harness.client.post(
        "/auth/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    )
    assert revoked.status_code == 200
    assert (await _refresh(harness, rotated["refresh_token"])).status_code == 400
    # unknown tokens are accepted silently (RFC 7009 section 2.2)
    unknown = await harness.client.post("/auth/revoke", data={"token": "zr_nothing"})
    assert unknown.status_code == 200


async def test_disabled_user_cannot_refresh(harness: Harness) -> None:
    user = await _register(harness)
    tokens = (await harness.password_login(RESIDENT["username"], RESIDENT["password"])).json()
    patched = await harness.client.patch(
        f"/auth/users/{user['id']}", json={"is_active": False}, headers=await harness.admin()
    )
    assert patched.status_code == 200, patched.text
    assert (await _refresh(harness, tokens["refresh_token"])).json()["error"] == "invalid_grant"
    login = await harness.password_login(RESIDENT["username"], RESIDENT["password"])
    assert login.json()["error"] == "invalid_grant"


async def test_login_throttle_blocks_even_the_right_password(harness: Harness) -> None:
    await _register(harness)
    limit = harness.settings.login_max_failures
    for _ in range(limit):
        wrong = await harness.password_login(RESIDENT["username"], "Wrong-pass-1")
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "invalid_grant"
    blocked = await harness.password_login(RESIDENT["username"], RESIDENT["password"])
    assert blocked.status_code == 429, blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= harness.settings.login_failure_window_seconds
    assert blocked.headers["content-type"] == "application/problem+json"
    # other accounts are not affected
    assert (await harness.password_login("admin", ADMIN_PASSWORD)).status_code == 200


async def test_success_resets_the_username_counter(harness: Harness) -> None:
    await _register(harness)
    limit = harness.settings.login_max_failures
    for _ in range(limit - 1):
        await harness.password_login(RESIDENT["username"], "Wrong-pass-1")
    assert (
        await harness.password_login(RESIDENT["username"], RESIDENT["password"])
    ).status_code == 200
    for _ in range(limit - 1):
        await harness.password_login(RESIDENT["username"], "Wrong-pass-1")
    assert (
        await harness.password_login(RESIDENT["username"], RESIDENT["password"])
    ).status_code == 200


async def test_login_throttle_per_ip_across_usernames(harness: Harness) -> None:
    ip_limit = harness.settings.login_max_failures * IP_LIMIT_FACTOR
    for i in range(ip_limit):
        response = await harness.password_login(f"sprayed_{i}", "Wrong-pass-1")
        assert response.status_code == 400
    blocked = await harness.password_login("admin", ADMIN_PASSWORD)
    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers


async def test_memory_throttle_window_passes() -> None:
    now = [1000.0]
    throttle = MemoryLoginThrottle(2, 60, clock=lambda: now[0])
    await throttle.failed("Li", "10.0.0.1")
    await throttle.failed("li", "10.0.0.2")
    assert await throttle.retry_after("LI", None) == 60
    now[0] += 59.5
    assert await throttle.retry_after("li", None) == 1
    now[0] += 1
    assert await throttle.retry_after("li", None) is None


async def test_redis_throttle() -> None:
    redis = Redis.from_url(os.environ.get("ZHDJ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        await redis.ping()
    except OSError:
        await redis.aclose()
        pytest.skip("Redis is not reachable")
    prefix = f"zhdj:test:{uuid.uuid4().hex}:"
    throttle = RedisLoginThrottle(redis, 2, 60, prefix=prefix)
    try:
        await throttle.failed("li", "10.0.0.1")
        assert await throttle.retry_after("li", "10.0.0.1") is None
        await throttle.failed("LI", "10.0.0.9")
        wait = await throttle.retry_after("li", None)
        assert wait is not None
        assert 0 < wait <= 60
        await throttle.succeeded("li")
        assert await throttle.retry_after("li", None) is None
        for _ in range(2 * IP_LIMIT_FACTOR):
            await throttle.failed(uuid.uuid4().hex, "10.0.0.7")
        assert await throttle.retry_after("someone", "10.0.0.7") is not None
    finally:
        keys = [key async for key in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await throttle.close()


async def test_client_credentials_with_basic_and_form(harness: Harness) -> None:
    created = await _client(harness, ["requests:read", "requests:write"])
    cid, secret = created["client_id"], created["client_secret"]
    assert cid.startswith("zc_")
    basic = await harness.client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(cid, secret)
    )
    assert basic.status_code == 200, basic.text
    assert basic.json()["scope"] == "requests:read requests:write"
    assert "refresh_token" not in basic.json()
    form = await harness.client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": cid,
            "client_secret": secret,
            "scope": "requests:read",
        },
    )
    assert form.json()["scope"] == "requests:read"


@pytest.mark.parametrize(
    ("data", "headers", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, "wrong-secret", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "authorization_code", "code": "x"}, None, 400, "unsupported_grant_type"),
        ({}, None, 400, "invalid_request"),
        ({"grant_type": "password", "username": "admin"}, None, 400, "invalid_request"),
        (
            {"grant_type": "password", "username": "admin", "password": "nope"},
            None,
            400,
            "invalid_grant",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "zr_unknown"},
            None,
            400,
            "invalid_grant",
        ),
    ],
)
async def test_token_errors_follow_rfc6749(
    harness: Harness, data: dict[str, str], headers: str | None, status: int, error: str
) -> None:
    created = await _client(harness, ["requests:read"])
    auth = _basic(created["client_id"], "not-the-secret") if headers else {}
    response = await harness.client.post("/auth/token", data=data, headers=auth)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_token_endpoint_wants_a_form(harness: Harness) -> None:
    response = await harness.client.post("/auth/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_deactivated_client_is_refused(harness: Harness) -> None:
    created = await _client(harness, ["requests:read"])
    deleted = await harness.client.delete(
        f"/auth/clients/{created['client_id']}", headers=await harness.admin()
    )
    assert deleted.status_code == 204
    response = await harness.client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(created["client_id"], created["client_secret"]),
    )
    assert response.status_code == 401


async def test_authlib_completes_client_credentials(harness: Harness) -> None:
    created = await _client(harness, ["requests:read", "requests:write"], orgs=["demo-city"])
    async with AsyncOAuth2Client(
        client_id=created["client_id"],
        client_secret=created["client_secret"],
        scope="requests:read",
        transport=httpx.ASGITransport(app=harness.app),
        base_url=BASE_URL,
    ) as oauth_client:
        token = await oauth_client.fetch_token(
            f"{BASE_URL}/auth/token", grant_type="client_credentials"
        )
        assert token["token_type"] == "Bearer"
        assert token["scope"] == "requests:read"
        me = await oauth_client.get(f"{BASE_URL}/auth/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["kind"] == "client"
    assert body["client_id"] == created["client_id"]
    assert body["name"] == "12345 热线"
    assert body["scopes"] == ["requests:read"]
    assert body["orgs"] == ["demo-city"]
    assert body["roles"] == [{"role": "third_party", "org_id": None}]
