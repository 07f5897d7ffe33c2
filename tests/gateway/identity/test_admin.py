"""Administration: who may use it, secrets shown once and stored only hashed, API keys, users."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col

from tests.gateway.identity.conftest import ADMIN_PASSWORD, Harness
from zhdj_gateway.identity.models import ApiKey, OAuthClient, RefreshToken, User
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.services.api_keys import new_raw_key, well_formed

ADMIN_CALLS = [
    ("GET", "/auth/users", None),
    (
        "POST",
        "/auth/users",
        {"username": "x_user", "password": "Xx-pass-2026", "display_name": "X"},
    ),
    ("GET", "/auth/users/some-id", None),
    ("PATCH", "/auth/users/some-id", {"display_name": "Y"}),
    ("POST", "/auth/users/some-id/password", {"password": "New-pass-2026"}),
    ("GET", "/auth/clients", None),
    ("POST", "/auth/clients", {"name": "c", "scopes": ["requests:read"]}),
    ("GET", "/auth/clients/zc_x", None),
    ("PATCH", "/auth/clients/zc_x", {"name": "d"}),
    ("POST", "/auth/clients/zc_x/secret", None),
    ("DELETE", "/auth/clients/zc_x", None),
    ("GET", "/auth/api-keys", None),
    ("POST", "/auth/api-keys", {"client_id": "zc_x", "label": "l", "scopes": ["requests:read"]}),
    ("DELETE", "/auth/api-keys/some-id", None),
    ("GET", "/auth/keys", None),
    ("POST", "/auth/keys/rotate", None),
]


async def _resident(harness: Harness) -> dict[str, str]:
    body = {"username": "resident_wu", "password": "Wu-pass-2026", "display_name": "吴"}
    assert (await harness.client.post("/auth/register", json=body)).status_code == 201
    return await harness.bearer("resident_wu", "Wu-pass-2026")


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
async def test_admin_endpoints_refuse_anonymous_and_non_admins(
    harness: Harness, method: str, path: str, body: dict[str, Any] | None
) -> None:
    anonymous = await harness.client.request(method, path, json=body)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["content-type"] == "application/problem+json"
    resident = await harness.client.request(
        method, path, json=body, headers=await _resident(harness)
    )
    assert resident.status_code == 403, resident.text
    assert resident.json()["detail"] == "missing scope: identity:admin"


async def test_client_secret_is_shown_once_and_stored_hashed(harness: Harness) -> None:
    admin = await harness.admin()
    created = await harness.client.post(
        "/auth/clients",
        json={"name": "区网格平台", "scopes": ["registry:read"], "orgs": ["demo-d-xinhua"]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/auth/clients/{body['client_id']}"
    assert created.headers["cache-control"] == "no-store"
    secret = body["client_secret"]

    shown = await harness.client.get(f"/auth/clients/{body['client_id']}", headers=admin)
    listed = await harness.client.get("/auth/clients", headers=admin)
    for text in (shown.text, listed.text):
        assert secret not in text
        assert "secret" not in text
        assert "scrypt" not in text

    (row,) = await harness.rows(OAuthClient, col(OAuthClient.client_id) == body["client_id"])
    assert row.secret_hash != secret
    assert secret not in row.secret_hash
    assert row.secret_hash.startswith("scrypt$")
    assert PasswordHasher.verify_sync(secret, row.secret_hash)

    rotated = await harness.client.post(f"/auth/clients/{body['client_id']}/secret", headers=admin)
    new_secret = rotated.json()["client_secret"]
    assert new_secret != secret
    (row,) = await harness.rows(OAuthClient, col(OAuthClient.client_id) == body["client_id"])
    assert PasswordHasher.verify_sync(new_secret, row.secret_hash)
    assert not PasswordHasher.verify_sync(secret, row.secret_hash)


async def _api_key(
    harness: Harness, client_scopes: list[str], key_scopes: list[str], **extra: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    admin = await harness.admin()
    client = (
        await harness.client.post(
            "/auth/clients", json={"name": "热线", "scopes": client_scopes}, headers=admin
        )
    ).json()
    response = await harness.client.post(
        "/auth/api-keys",
        json={"client_id": client["client_id"], "label": "open311", "scopes": key_scopes, **extra},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return client, response.json()


async def test_api_key_is_shown_once_stored_as_hmac_and_exchanged(harness: Harness) -> None:
    client, created = await _api_key(
        harness, ["requests:read", "requests:write"], ["requests:read"]
    )
    raw = created["key"]
    assert raw.startswith("zk_")
    assert well_formed(raw)
    assert created["last4"] == raw[-4:]

    (row,) = await harness.rows(ApiKey, col(ApiKey.id) == created["id"])
    pepper = harness.settings.api_key_pepper.encode()
    assert row.key_hash == hmac.new(pepper, raw.encode(), hashlib.sha256).hexdigest()
    assert all(raw not in str(value) for value in row.model_dump().values())
    listed = await harness.client.get(
        "/auth/api-keys", params={"client_id": client["client_id"]}, headers=await harness.admin()
    )
    assert [k["id"] for k in listed.json()["items"]] == [created["id"]]
    assert raw not in listed.text
    assert row.key_hash not in listed.text

    exchange = harness.app.state.api_keys
    token = await exchange.token_for(raw)
    assert token is not None
    verified = await harness.app.state.token_verifier.verify(token)
    assert verified.claims["scope"] == "requests:read"
    assert verified.claims["kind"] == "client"
    assert verified.claims["sub"] == client["client_id"]
    assert await exchange.token_for(raw) == token  # cached

    revoked = await harness.client.delete(
        f"/auth/api-keys/{created['id']}", headers=await harness.admin()
    )
    assert revoked.status_code == 204
    assert await exchange.token_for(raw) is None


async def test_api_key_refusals(harness: Harness) -> None:
    exchange = harness.app.state.api_keys
    assert await exchange.token_for("zk_not-a-key") is None
    assert await exchange.token_for(new_raw_key()) is None  # well formed, unknown
    _client, created = await _api_key(harness, ["requests:read"], ["requests:read"])
    raw = created["key"]
    assert await exchange.token_for(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None

    async with harness.db.session() as session:
        row = await session.get(ApiKey, created["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(row)
    assert await exchange.token_for(raw) is None


async def test_api_key_scopes_must_be_the_clients(harness: Harness) -> None:
    admin = await harness.admin()
    client = (
        await harness.client.post(
            "/auth/clients", json={"name": "c", "scopes": ["requests:read"]}, headers=admin
        )
    ).json()
    response = await harness.client.post(
        "/auth/api-keys",
        json={"client_id": client["client_id"], "label": "x", "scopes": ["registry:write"]},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scopes"
    assert await harness.count(ApiKey) == 0


async def test_deactivated_clients_keys_stop_working(harness: Harness) -> None:
    client, created = await _api_key(harness, ["requests:read"], ["requests:read"])
    exchange = harness.app.state.api_keys
    assert await exchange.token_for(created["key"]) is not None
    await harness.client.delete(
        f"/auth/clients/{client['client_id']}", headers=await harness.admin()
    )
    assert await exchange.token_for(created["key"]) is None


async def test_admin_manages_users_roles_and_passwords(harness: Harness) -> None:
    admin = await harness.admin()
    created = await harness.client.post(
        "/auth/users",
        json={
            "username": "Zhou_Staff",
            "password": "Zhou-pass-2026",
            "display_name": "周强",
            "roles": [{"role": "org_staff", "org_id": "demo-d-xinhua"}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert created.headers["location"] == f"/auth/users/{user['id']}"
    assert "password" not in created.text
    assert "scrypt" not in created.text

    tokens = (await harness.password_login("zhou_staff", "Zhou-pass-2026")).json()
    claims = (await harness.app.state.token_verifier.verify(tokens["access_token"])).claims
    assert claims["roles"] == ["org_staff"]
    assert claims["orgs"] == ["demo-d-xinhua"]
    assert "registry:write" in claims["scope"].split()
    assert claims["name"] == "周强"

    patched = await harness.client.patch(
        f"/auth/users/{user['id']}",
        json={"roles": [{"role": "assessor", "org_id": "demo-city"}], "display_name": "周强强"},
        headers=admin,
    )
    assert patched.json()["roles"] == [{"role": "assessor", "org_id": "demo-city"}]
    claims = (
        await harness.app.state.token_verifier.verify(
            (await harness.password_login("zhou_staff", "Zhou-pass-2026")).json()["access_token"]
        )
    ).claims
    assert "assessment:write" in claims["scope"].split()
    assert "registry:write" not in claims["scope"]

    reset = await harness.client.post(
        f"/auth/users/{user['id']}/password", json={"password": "Brand-new-2026"}, headers=admin
    )
    assert reset.status_code == 204
    assert (await harness.password_login("zhou_staff", "Zhou-pass-2026")).status_code == 400
    assert (await harness.password_login("zhou_staff", "Brand-new-2026")).status_code == 200
    # the reset ended the old session
    old = await harness.client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert old.status_code == 400
    revoked = await harness.rows(RefreshToken, col(RefreshToken.user_id) == user["id"])
    assert any(r.revoked_at is not None for r in revoked)

    page = await harness.client.get("/auth/users", params={"limit": 1}, headers=admin)
    assert len(page.json()["items"]) == 1
    assert page.json()["next_cursor"]
    rest = await harness.client.get(
        "/auth/users", params={"limit": 200, "cursor": page.json()["next_cursor"]}, headers=admin
    )
    ids = [page.json()["items"][0]["id"]] + [u["id"] for u in rest.json()["items"]]
    assert user["id"] in ids
    assert len(ids) == len(set(ids)) == await harness.count(User)


async def test_user_roles_are_validated(harness: Harness) -> None:
    response = await harness.client.post(
        "/auth/users",
        json={
            "username": "svc_like",
            "password": "Svc-pass-2026",
            "display_name": "x",
            "roles": [{"role": "service"}, {"role": "emperor"}],
        },
        headers=await harness.admin(),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"roles.0.role", "roles.1.role"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/auth/users",
            {
                "username": "nul_org",
                "password": "Nul-pass-2026",
                "display_name": "x",
                "roles": [{"role": "member", "org_id": "org\x00"}],
            },
            "roles.0.org_id",
        ),
        ("/auth/clients", {"name": "第三方\x00", "scopes": ["registry:read"]}, "name"),
    ],
)
async def test_control_characters_are_refused_on_both_databases(
    harness: Harness, path: str, body: dict[str, Any], field: str
) -> None:
    users, clients = await harness.count(User), await harness.count(OAuthClient)
    response = await harness.client.post(path, json=body, headers=await harness.admin())
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    assert (await harness.count(User), await harness.count(OAuthClient)) == (users, clients)


async def test_bad_cursor_is_422(harness: Harness) -> None:
    response = await harness.client.get(
        "/auth/users", params={"cursor": "garbage!"}, headers=await harness.admin()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


async def test_admin_password_works(harness: Harness) -> None:
    assert (await harness.password_login("ADMIN", ADMIN_PASSWORD)).status_code == 200
