"""Start-up seeding: administrator, service clients from the environment, demo data."""

from __future__ import annotations

import base64

import pytest
from sqlmodel import col

from tests.gateway.identity.conftest import make_settings, running
from zhdj_gateway.identity.app import create_identity_app
from zhdj_gateway.identity.models import OAuthClient
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.seed import DEMO_USERS, seed
from zhdj_shared.db import Database


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def test_first_start_prints_a_generated_admin_password(
    gateway_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running(gateway_database, make_settings(ZHDJ_ADMIN_PASSWORD=None)) as h:
        lines = [
            line
            for line in capsys.readouterr().out.splitlines()
            if line.startswith("admin password: ")
        ]
        assert len(lines) == 1
        password = lines[0].removeprefix("admin password: ")
        assert (await h.password_login("admin", password)).status_code == 200
        # a second start creates nothing and prints nothing
        assert await seed(h.app.state.identity, env={}) == []


async def test_service_clients_come_from_the_environment(
    gateway_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHDJ_SERVICE_REQUESTS_CLIENT_SECRET", "first-secret-value")
    monkeypatch.setenv("ZHDJ_ASSESSMENT_CLIENT_SECRET", "assessment-secret")
    monkeypatch.delenv("ZHDJ_REGISTRY_CLIENT_SECRET", raising=False)
    async with running(gateway_database, make_settings()) as h:
        rows = {
            r.client_id: r
            for r in await h.rows(OAuthClient, col(OAuthClient.client_id).like("svc-%"))
        }
        assert set(rows) >= {"svc-service-requests", "svc-assessment"}
        assert "svc-registry" not in rows
        assert rows["svc-assessment"].roles == ["service"]
        assert "registry:write" in rows["svc-assessment"].scopes
        assert "registry:write" not in rows["svc-service-requests"].scopes
        assert "identity:admin" not in rows["svc-assessment"].scopes
        assert rows["svc-service-requests"].secret_hash.startswith("scrypt$")

        token = await h.client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers=_basic("svc-service-requests", "first-secret-value"),
        )
        assert token.status_code == 200, token.text
        assert token.json()["scope"] == "activity:read assessment:read registry:read requests:read"

        # a changed secret is picked up at the next start; the old one stops working
        await seed(
            h.app.state.identity, env={"ZHDJ_SERVICE_REQUESTS_CLIENT_SECRET": "second-secret"}
        )
        old = await h.client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers=_basic("svc-service-requests", "first-secret-value"),
        )
        assert old.status_code == 401
        new = await h.client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers=_basic("svc-service-requests", "second-secret"),
        )
        assert new.status_code == 200


async def test_demo_data(
    gateway_database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ZHDJ_DEMO_PASSWORD", raising=False)
    async with running(gateway_database, make_settings(load_demo_data=True)) as h:
        out = capsys.readouterr().out
        assert "demo users (password demo-only-2026)" in out
        assert "demo client: demo-12345-hotline secret: demo-only-" in out
        secret = out.split("demo client: demo-12345-hotline secret: ")[1].split()[0]
        for demo in DEMO_USERS:
            me = await h.client.get(
                "/auth/me", headers=await h.bearer(demo.username, "demo-only-2026")
            )
            assert me.json()["roles"] == [{"role": demo.role.value, "org_id": demo.org_id}]
            # The registry's demo links 李明's member record and 张伟's household to these ids.
            assert me.json()["subject"] == "demo-user-" + demo.username.replace("_", "-")
        hotline = await h.client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers=_basic("demo-12345-hotline", secret),
        )
        assert hotline.json()["scope"] == "requests:read requests:write"
        assert await seed(h.app.state.identity, env={}) == []


def test_production_refuses_the_demo_pepper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHDJ_ENV", "production")
    with pytest.raises(ValueError, match="PEPPER"):
        create_identity_app(make_settings(), password_hasher=PasswordHasher(cost=4))


def test_password_hashes_carry_their_parameters() -> None:
    weak, strong = PasswordHasher(cost=4), PasswordHasher(cost=5)
    encoded = weak.hash_sync("Some-pass-2026")
    assert encoded.startswith("scrypt$ln=4,r=8,p=1$")
    assert strong.verify_sync("Some-pass-2026", encoded)  # old parameters still verify
    assert strong.needs_rehash(encoded)
    assert not weak.needs_rehash(encoded)
    assert not weak.verify_sync("some-pass-2026", encoded)
    assert encoded != weak.hash_sync("Some-pass-2026")  # salted
