"""Token verification: every refusal the hardened python-jose wrapper promises, interoperability
with PyJWT, and signing-key rotation."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest
from sqlmodel import col

from tests.gateway.identity import tokens_util as t
from tests.gateway.identity.conftest import ADMIN_PASSWORD, Harness, make_settings, running
from zhdj_gateway.identity.keys import (
    KeyStore,
    generate_private_pem,
    public_jwk,
    rfc7638_thumbprint,
)
from zhdj_gateway.identity.models import SigningKey
from zhdj_gateway.settings import JWKS_MAX_AGE_SECONDS
from zhdj_shared.db import Database, utcnow
from zhdj_shared.security.tokens import LEEWAY_SECONDS

BadToken = Callable[[Harness], Awaitable[str]]


async def _expired(h: Harness) -> str:
    now = int(time.time())
    return await t.signed(h, iat=now - 3600, exp=now - 600)


async def _wrong_aud(h: Harness) -> str:
    return await t.signed(h, aud="another-platform")


async def _wrong_iss(h: Harness) -> str:
    return await t.signed(h, iss="https://evil.example/auth")


async def _no_exp(h: Harness) -> str:
    return await t.signed(h, exp=None)


async def _unknown_kid(h: Harness) -> str:
    return await t.signed(h, headers={"kid": "no-such-key"})


async def _crit(h: Harness) -> str:
    return await t.signed(h, headers={"crit": ["exp"]})


REFUSED: dict[str, BadToken] = {
    "alg-none": t.alg_none,
    "hs256-with-public-key": t.hs256_with_public_key,
    "expired": _expired,
    "wrong-aud": _wrong_aud,
    "wrong-iss": _wrong_iss,
    "no-exp": _no_exp,
    "unknown-kid": _unknown_kid,
    "tampered-payload": t.tampered,
    "crit-header": _crit,
}


async def test_a_well_made_token_is_accepted(harness: Harness) -> None:
    # The control for the refusals below: the same recipe, nothing wrong, is accepted.
    response = await harness.client.get(
        "/auth/me", headers={"Authorization": f"Bearer {await t.signed(harness)}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "client"


@pytest.mark.parametrize("case", list(REFUSED))
async def test_bad_tokens_are_refused(harness: Harness, case: str) -> None:
    token = await REFUSED[case](harness)
    response = await harness.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401
    assert body["type"].endswith("/unauthorized")
    assert "Traceback" not in response.text


async def test_missing_token_is_401_problem(harness: Harness) -> None:
    response = await harness.client.get("/auth/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_gateway_tokens_verify_with_pyjwt(harness: Harness) -> None:
    response = await harness.password_login("admin", ADMIN_PASSWORD)
    token = response.json()["access_token"]
    document = (await harness.client.get("/.well-known/jwks.json")).json()
    kid = pyjwt.get_unverified_header(token)["kid"]
    (jwk_dict,) = [k for k in document["keys"] if k["kid"] == kid]
    assert jwk_dict["alg"] == "RS256"
    assert jwk_dict["use"] == "sig"
    key = pyjwt.PyJWK(jwk_dict)
    platform = harness.settings.platform
    claims = pyjwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=platform.token_audience,
        issuer=platform.token_issuer,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
    assert claims["kind"] == "user"
    assert "admin" in claims["roles"]
    with pytest.raises(pyjwt.InvalidAudienceError):
        pyjwt.decode(
            token, key.key, algorithms=["RS256"], audience="other", issuer=platform.token_issuer
        )


def _kid(token: str) -> str:
    return str(pyjwt.get_unverified_header(token)["kid"])


class MovingClock:
    """The key schedule's wall clock, moved by the test (the signing itself uses real time)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _keys_by_kid(listed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k["kid"]: k for k in listed["items"]}


async def test_rotation_publishes_the_new_key_before_it_signs(harness: Harness) -> None:
    clock = MovingClock()
    harness.app.state.key_store.clock = clock
    delay = harness.settings.effective_key_publish_seconds
    grace = harness.settings.access_token_ttl_seconds + LEEWAY_SECONDS
    admin = await harness.admin()
    old_kid = _kid(admin["Authorization"].split()[1])

    rotated = await harness.client.post("/auth/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    keys = _keys_by_kid(rotated.json())
    (new_kid,) = set(keys) - {old_kid}
    assert keys[old_kid]["status"] == "active"  # still the one signing
    assert keys[new_kid]["status"] == "next"
    starts = datetime.fromisoformat(keys[new_kid]["activates_at"])
    assert starts == clock.now + timedelta(seconds=delay)
    assert datetime.fromisoformat(keys[old_kid]["retire_after"]) == starts + timedelta(
        seconds=grace
    )
    # Published at once (public parts only), but not signing yet.
    document = (await harness.client.get("/.well-known/jwks.json")).json()
    assert {new_kid, old_kid} <= {k["kid"] for k in document["keys"]}
    assert all("d" not in k and "p" not in k for k in document["keys"])
    clock.advance(delay - 1)
    assert _kid((await harness.admin())["Authorization"].split()[1]) == old_kid

    # From activates_at on, the new key signs; tokens of both keys verify.
    clock.advance(1)
    fresh = await harness.admin()
    assert _kid(fresh["Authorization"].split()[1]) == new_kid
    assert (await harness.client.get("/auth/me", headers=fresh)).status_code == 200
    assert (await harness.client.get("/auth/me", headers=admin)).status_code == 200
    listed = _keys_by_kid((await harness.client.get("/auth/keys", headers=fresh)).json())
    assert {k: v["status"] for k, v in listed.items() if k in keys} == {
        old_kid: "retired",
        new_kid: "active",
    }
    assert all(
        set(k) == {"kid", "status", "source", "created_at", "activates_at", "retire_after"}
        for k in listed.values()
    )

    # The old key stays published until its last token has expired, then leaves the JWKS
    # (the row stays for the record).
    clock.advance(grace - 1)
    assert old_kid in {k["kid"] for k in (await harness.app.state.key_store.jwks())["keys"]}
    clock.advance(1)
    assert old_kid not in {k["kid"] for k in (await harness.app.state.key_store.jwks())["keys"]}
    assert await harness.count(SigningKey, col(SigningKey.kid) == old_kid) == 1


async def test_a_second_rotation_before_the_first_key_signs(harness: Harness) -> None:
    # Rotating twice within the delay: the first new key would sign only between the two
    # activation times; every key stays published until one token lifetime after it stopped.
    clock = MovingClock()
    store = harness.app.state.key_store
    store.clock = clock
    delay = harness.settings.effective_key_publish_seconds
    first_kid = (await store.signer()).kid
    second_kid = await store.rotate()
    clock.advance(delay / 2)
    third_kid = await store.rotate()
    assert (await store.signer()).kid == first_kid
    clock.advance(delay / 2)
    assert (await store.signer()).kid == second_kid
    clock.advance(delay / 2)
    assert (await store.signer()).kid == third_kid
    published = {k["kid"] for k in (await store.jwks())["keys"]}
    assert {first_kid, second_kid, third_kid} <= published


def test_the_default_publication_delay_outlasts_the_services_jwks_cache() -> None:
    settings = make_settings()
    assert settings.key_publish_seconds is None
    cache = settings.platform.jwks_cache_seconds
    assert settings.effective_key_publish_seconds == cache + JWKS_MAX_AGE_SECONDS
    assert make_settings(key_publish_seconds=0).effective_key_publish_seconds == 0


async def test_a_new_configured_key_is_published_before_it_signs(harness: Harness) -> None:
    # ZHDJ_GATEWAY_SIGNING_KEY_PEM changed and the gateway restarted: the store already has a
    # signing key, so the configured one is scheduled like a rotation.
    clock = MovingClock()
    store = harness.app.state.key_store
    store.clock = clock
    old_kid = (await store.signer()).kid
    pem = generate_private_pem()
    restarted = KeyStore(
        harness.app.state.identity.sessions,
        access_token_ttl=harness.settings.access_token_ttl_seconds,
        publish_seconds=harness.settings.effective_key_publish_seconds,
        configured_pem=pem,
        clock=clock,
    )
    configured_kid = await restarted.ensure_signing_key()
    assert configured_kid == public_jwk(pem)["kid"] != old_kid
    assert configured_kid in {k["kid"] for k in (await restarted.jwks())["keys"]}
    assert (await restarted.signer()).kid == old_kid
    assert await restarted.ensure_signing_key() == configured_kid  # a second start: unchanged
    clock.advance(harness.settings.effective_key_publish_seconds)
    assert (await restarted.signer()).kid == configured_kid
    assert (await store.signer()).kid == configured_kid  # another replica switches too


async def test_configured_key_is_active_with_thumbprint_kid(gateway_database: Database) -> None:
    pem = generate_private_pem()
    expected_kid = public_jwk(pem)["kid"]
    async with running(gateway_database, make_settings(signing_key_pem=pem)) as h:
        admin = await h.admin()
        assert _kid(admin["Authorization"].split()[1]) == expected_kid
        refused = await h.client.post("/auth/keys/rotate", headers=admin)
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"


def test_thumbprint_matches_rfc7638_example() -> None:
    # RFC 7638 section 3.1
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"
        "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZ"
        "u0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    members = {"e": "AQAB", "kty": "RSA", "n": n, "alg": "RS256", "kid": "2011-04-29"}
    assert rfc7638_thumbprint(members) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
