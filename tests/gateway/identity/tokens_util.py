"""Hand-made tokens for refusal tests (libraries refuse to make the bad ones)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from jose import jwk, jwt

from tests.gateway.identity.conftest import Harness


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims(harness: Harness, **overrides: Any) -> dict[str, Any]:
    platform = harness.settings.platform
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": platform.token_issuer,
        "aud": platform.token_audience,
        "sub": "somebody",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "scope": "identity:admin registry:read",
        "kind": "client",
        "roles": ["admin"],
        "orgs": [],
        "client_id": "somebody",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


async def signed(harness: Harness, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
    """Signed with the gateway's real active key."""
    signer = await harness.app.state.key_store.signer()
    token: str = jwt.encode(
        claims(harness, **overrides),
        signer.key,
        algorithm="RS256",
        headers={"kid": signer.kid, **(headers or {})},
    )
    return token


async def public_pem(harness: Harness) -> tuple[str, bytes]:
    document = await harness.app.state.key_store.jwks()
    key = document["keys"][0]
    return key["kid"], jwk.construct(key, "RS256").public_key().to_pem()


async def hs256_with_public_key(harness: Harness) -> str:
    kid, pem = await public_pem(harness)
    signing_input = (
        f"{b64json({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{b64json(claims(harness))}"
    )
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


async def alg_none(harness: Harness) -> str:
    kid, _ = await public_pem(harness)
    return f"{b64json({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{b64json(claims(harness))}."


async def tampered(harness: Harness) -> str:
    header, _payload, signature = (await signed(harness, scope="registry:read")).split(".")
    return f"{header}.{b64json(claims(harness, scope='identity:admin'))}.{signature}"
