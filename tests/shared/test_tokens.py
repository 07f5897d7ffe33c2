"""The hardened token verifier: every refusal of ENGINEERING.md, and the JWKS cache rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Security

from tests.support.tokens import AUDIENCE, ISSUER, TestKeys
from zhdj_shared.app import create_service_app
from zhdj_shared.db import Database
from zhdj_shared.security.authz import Principal, current_principal
from zhdj_shared.security.tokens import (
    FAILED_FETCH_RETRY_SECONDS,
    InvalidToken,
    JwksCache,
    SigningKeysUnavailable,
    TokenVerifier,
)
from zhdj_shared.settings import ServiceSettings


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(signature)}"


async def test_a_good_token_verifies(keys: TestKeys) -> None:
    verified = await keys.verifier().verify(keys.mint(sub="u1", roles=["admin"]))
    assert verified.claims["sub"] == "u1"
    assert verified.kid == keys.kid


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("alg_none", "unsupported algorithm"),
        ("hs256_with_public_key", "unsupported algorithm"),
        ("expired", "token expired"),
        ("wrong_audience", "token audience is wrong"),
        ("wrong_issuer", "token issuer is wrong"),
        ("no_exp", "token lacks a required claim"),
        ("unknown_kid", "unknown signing key"),
        ("tampered_payload", "signature verification failed"),
        ("crit_header", "critical header parameters are not supported"),
        ("no_kid", "token has no key id"),
        ("garbage", "malformed token"),
    ],
)
async def test_refusals(keys: TestKeys, case: str, reason: str) -> None:
    token = make_bad_token(keys, case)
    with pytest.raises(InvalidToken) as refused:
        await keys.verifier().verify(token)
    assert str(refused.value) == reason


def make_bad_token(keys: TestKeys, case: str) -> str:
    claims = keys.claims()
    if case == "alg_none":
        return forge({"alg": "none", "kid": keys.kid, "typ": "JWT"}, claims)
    if case == "hs256_with_public_key":
        header = {"alg": "HS256", "kid": keys.kid, "typ": "JWT"}
        unsigned = forge(header, claims).rsplit(".", 1)[0]
        mac = hmac.new(keys.public_pem.encode(), unsigned.encode(), hashlib.sha256).digest()
        return f"{unsigned}.{b64(mac)}"
    if case == "expired":
        return keys.mint(iat=int(time.time()) - 4000, exp=int(time.time()) - 3600)
    if case == "wrong_audience":
        return keys.mint(aud="another-platform")
    if case == "wrong_issuer":
        return keys.mint(iss="https://evil.example/auth")
    if case == "no_exp":
        return keys.mint(exp=None)
    if case == "unknown_kid":
        return keys.mint(headers={"kid": "rotated-away"})
    if case == "tampered_payload":
        head, _body, signature = keys.mint(roles=["resident"]).split(".")
        return f"{head}.{b64(json.dumps(keys.claims(roles=['admin'])).encode())}.{signature}"
    if case == "crit_header":
        return keys.mint(headers={"crit": ["exp"]})
    if case == "no_kid":
        token = keys.mint()
        head, body, signature = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(head + "=="))
        del header["kid"]
        return f"{b64(json.dumps(header).encode())}.{body}.{signature}"
    return "not.a.token"


async def test_a_token_signed_by_another_key_with_our_kid_is_refused(keys: TestKeys) -> None:
    impostor = TestKeys(kid=keys.kid)
    with pytest.raises(InvalidToken, match="signature"):
        await keys.verifier().verify(impostor.mint())


async def test_unknown_kid_refetches_at_most_once_per_cooldown(keys: TestKeys) -> None:
    fetches = 0
    rotated = TestKeys(kid="rotated-in")

    async def fetch() -> dict[str, Any]:
        nonlocal fetches
        fetches += 1
        # the first fetch knows only the old key; later ones also the rotated-in key
        return {"keys": [keys.public_jwk] + ([rotated.public_jwk] if fetches > 1 else [])}

    cache = JwksCache(fetch, ttl=300, cooldown=3600)
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)
    await verifier.verify(keys.mint())
    assert fetches == 1
    for _ in range(5):  # garbage kids cannot make us hammer the JWKS endpoint
        with pytest.raises(InvalidToken):
            await verifier.verify(keys.mint(headers={"kid": "nope"}))
    assert fetches == 1
    cache._cooldown = 0  # cool-down over: a rotated-in key is fetched once and then cached
    await verifier.verify(rotated.mint())
    await verifier.verify(rotated.mint())
    assert fetches == 2


async def test_keys_unavailable_is_not_the_tokens_fault(keys: TestKeys) -> None:
    async def fetch() -> dict[str, Any]:
        raise OSError("gateway down")

    verifier = TokenVerifier(JwksCache(fetch), issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(SigningKeysUnavailable):
        await verifier.verify(keys.mint())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_failed_refresh_keeps_the_keys_and_waits_before_the_next_try(
    keys: TestKeys,
) -> None:
    """Once the TTL has passed with the gateway down, requests must not each wait for their
    own failing fetch: one try, then the known keys, then one more try after a pause."""
    clock, attempts, down = Clock(), 0, False

    async def fetch() -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        if down:
            raise OSError("gateway down")
        return keys.jwks

    cache = JwksCache(fetch, ttl=300, clock=clock)
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)
    await verifier.verify(keys.mint())
    assert attempts == 1
    down = True
    clock.now += 301  # the TTL has passed
    for _ in range(20):
        assert (await verifier.verify(keys.mint())).kid == keys.kid  # the keys we had
    assert attempts == 2
    clock.now += FAILED_FETCH_RETRY_SECONDS + 1
    down = False
    await verifier.verify(keys.mint())
    assert attempts == 3
    await verifier.verify(keys.mint())
    assert attempts == 3  # fetched: cached for the TTL again


async def test_no_keys_and_a_failed_fetch_is_a_503_not_a_401(
    keys: TestKeys, tmp_path: Path
) -> None:
    """A 401 would tell a phone its token is bad: it would throw it away and sign out."""

    async def fetch() -> dict[str, Any]:
        raise OSError("gateway down")

    router = APIRouter()

    @router.get("/api/test/me")
    async def me(principal: Annotated[Principal, Security(current_principal)]) -> dict[str, str]:
        return {"sub": principal.subject}

    app = create_service_app(
        title="t",
        description="t",
        settings=ServiceSettings(service_name="test", migrate_on_start=False),
        routers=[router],
        migrations_dir=tmp_path,
        database=Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"),
        token_verifier=TokenVerifier(JwksCache(fetch), issuer=ISSUER, audience=AUDIENCE),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answer = await http.get("/api/test/me", headers={"Authorization": f"Bearer {keys.mint()}"})
        bad = await http.get("/api/test/me", headers={"Authorization": "Bearer not.a.token"})
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["retry-after"] == "5"
    assert "signing keys" in answer.json()["detail"]
    assert bad.status_code == 401  # a malformed token is still the token's fault
