"""Test signing keys and tokens: what the gateway would issue, made directly for service tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from zhdj_shared.security.tokens import JwksCache, TokenVerifier

ISSUER = "https://zhdj.local/auth"
AUDIENCE = "zhdj-platform"
ALL_SCOPES = (
    "registry:read registry:write registry:volunteer activity:read activity:write "
    "requests:read requests:write "
    "assessment:read assessment:write"
)


class TestKeys:
    __test__ = False  # not a test class

    def __init__(self, kid: str = "test-key-1") -> None:
        self.kid = kid
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        public = jwk.construct(self.public_pem, "RS256").to_dict()
        self.public_jwk = {**public, "kid": kid, "use": "sig", "alg": "RS256"}

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(JwksCache.static(self.jwks), issuer=ISSUER, audience=AUDIENCE)

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-test",
            "iat": now,
            "exp": now + 600,
            "jti": uuid.uuid4().hex,
            "kind": "user",
            "scope": ALL_SCOPES,
            "roles": [],
            "orgs": [],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(self, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        token: str = jwt.encode(
            self.claims(**overrides),
            self.private_pem,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )
        return token

    def bearer(self, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(**overrides)}"}
