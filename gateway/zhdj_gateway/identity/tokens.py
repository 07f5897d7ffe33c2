"""Access tokens: the one place the gateway signs a JWT (RS256, python-jose, ``kid`` header).

The claims are what ``zhdj_shared.security.authz.Principal.from_claims`` reads. Verification
lives in ``zhdj_shared.security.tokens`` (docs/decisions/0002-jwt-wrapper.md).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from jose import jwt

from zhdj_gateway.identity.keys import KeyStore
from zhdj_shared.security.tokens import ALGORITHM


@dataclass(frozen=True)
class TokenSubject:
    """Who a token speaks for and what it allows."""

    subject: str
    kind: Literal["user", "client"]
    scopes: frozenset[str]
    roles: frozenset[str] = field(default_factory=frozenset)
    orgs: frozenset[str] = field(default_factory=frozenset)
    name: str | None = None
    client_id: str | None = None
    # The sign-in (refresh-token family) a user's token belongs to: ``sid``, so that signing
    # out refuses the access tokens of that session too (``identity.revocations``).
    session_id: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    expires_at: float
    scope: str


def scope_string(scopes: Iterable[str]) -> str:
    return " ".join(sorted(set(scopes)))


class TokenMinter:
    def __init__(self, keys: KeyStore, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds

    async def mint(self, who: TokenSubject) -> IssuedToken:
        signer = await self._keys.signer()
        now = int(time.time())
        scope = scope_string(who.scopes)
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": who.subject,
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
            "scope": scope,
            "kind": who.kind,
            "roles": sorted(who.roles),
            "orgs": sorted(who.orgs),
        }
        if who.name is not None:
            claims["name"] = who.name
        if who.client_id is not None:
            claims["client_id"] = who.client_id
        if who.session_id is not None:
            claims["sid"] = who.session_id
        token: str = jwt.encode(
            claims, signer.key, algorithm=ALGORITHM, headers={"kid": signer.kid, "typ": "JWT"}
        )
        return IssuedToken(token, self._ttl, float(now + self._ttl), scope)
