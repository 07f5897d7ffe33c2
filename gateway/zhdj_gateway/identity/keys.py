"""Signing keys: RSA 2048, ``kid`` = RFC 7638 thumbprint, rotation, the public JWKS.

The active key signs; a retired key stays in the JWKS until ``retire_after`` (the moment the last
access token it signed expires, plus the verifiers' leeway). Keys live in the gateway database so
replicas share them; each replica re-reads the active key every few seconds. When
``ZHDJ_GATEWAY_SIGNING_KEY_PEM`` is set, that key is the active one and rotation happens by
changing the secret and restarting.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk
from jose.backends.base import Key

from zhdj_gateway.identity.models import SigningKey
from zhdj_gateway.identity.repositories import SigningKeyRepository
from zhdj_gateway.identity.sessions import SessionSource
from zhdj_shared.db import utcnow
from zhdj_shared.security.tokens import ALGORITHM, LEEWAY_SECONDS

ACTIVE = "active"
RETIRED = "retired"
SIGNER_REFRESH_SECONDS = 10.0


def _b64_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def generate_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def rfc7638_thumbprint(members: dict[str, str]) -> str:
    """SHA-256 over the required members (``e``, ``kty``, ``n``), sorted, no whitespace."""
    required = {name: members[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).decode().rstrip("=")


def load_private_key(private_pem: str, *, trusted: bool = False) -> rsa.RSAPrivateKey:
    """``trusted``: a key this gateway generated itself, so the costly (~50 ms) check is skipped."""
    key = serialization.load_pem_private_key(
        private_pem.encode(), password=None, unsafe_skip_rsa_key_validation=trusted
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key")
    return key


def public_jwk(private_pem: str, *, trusted: bool = False) -> dict[str, Any]:
    """The public half as a JWK with ``kid`` = its RFC 7638 thumbprint."""
    key = load_private_key(private_pem, trusted=trusted)
    if key.key_size < 2048:
        raise ValueError("the signing key must have at least 2048 bits")
    numbers = key.public_key().public_numbers()
    members = {"e": _b64_uint(numbers.e), "kty": "RSA", "n": _b64_uint(numbers.n)}
    return {**members, "kid": rfc7638_thumbprint(members), "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class Signer:
    kid: str
    key: Key  # python-jose key object, built once from the PEM


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    status: str
    source: str
    created_at: datetime
    retire_after: datetime | None


class KeyStore:
    """The gateway's signing keys (``app.state.key_store``)."""

    def __init__(
        self,
        sessions: SessionSource,
        *,
        access_token_ttl: int,
        configured_pem: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._grace = timedelta(seconds=access_token_ttl + LEEWAY_SECONDS)
        self._configured_pem = configured_pem
        self._signer: Signer | None = None
        self._signer_loaded = float("-inf")
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Called after this process changed the keys (so its verifier refetches at once)."""
        self._listeners.append(listener)

    @property
    def managed_by_configuration(self) -> bool:
        return self._configured_pem is not None

    async def ensure_signing_key(self) -> str:
        """At start: the configured key becomes active, or a key is created when none is."""
        async with self._sessions() as session:
            repo = SigningKeyRepository(session)
            if self._configured_pem is not None:
                jwk_ = public_jwk(self._configured_pem)
                existing = await repo.get(jwk_["kid"])
                if existing is None or existing.status != ACTIVE:
                    await self._activate(repo, self._configured_pem, jwk_, "configured")
                kid = str(jwk_["kid"])
            else:
                active = await repo.active()
                kid = active.kid if active else await self._create(repo)
        self._changed()
        return kid

    async def rotate(self) -> str:
        """A new active key; the previous ones stay verifiable until their tokens expire."""
        async with self._sessions() as session:
            kid = await self._create(SigningKeyRepository(session))
        self._changed()
        return kid

    async def _create(self, repo: SigningKeyRepository) -> str:
        pem = await asyncio.to_thread(generate_private_pem)  # ~0.1 s of CPU: off the loop
        jwk_ = public_jwk(pem, trusted=True)
        await self._activate(repo, pem, jwk_, "generated")
        return str(jwk_["kid"])

    async def _activate(
        self, repo: SigningKeyRepository, pem: str, jwk_: dict[str, Any], source: str
    ) -> None:
        now = utcnow()
        await repo.retire_active(retire_after=now + self._grace)
        existing = await repo.get(jwk_["kid"])
        if existing is None:
            existing = SigningKey(
                kid=jwk_["kid"], private_pem=pem, public_jwk=jwk_, status=ACTIVE, source=source
            )
        existing.status, existing.retire_after = ACTIVE, None
        await repo.save(existing)

    def _changed(self) -> None:
        self._signer = None
        for listener in self._listeners:
            listener()

    async def signer(self) -> Signer:
        """The active key, re-read every few seconds so a rotation on another replica is seen."""
        now = time.monotonic()
        if self._signer is None or now - self._signer_loaded > SIGNER_REFRESH_SECONDS:
            async with self._sessions() as session:
                active = await SigningKeyRepository(session).active()
            if active is None:
                raise RuntimeError("no active signing key (ensure_signing_key() runs at start)")
            if self._signer is None or self._signer.kid != active.kid:
                # Rows were validated when stored (configured) or generated here: skip the check.
                private = load_private_key(active.private_pem, trusted=True)
                self._signer = Signer(active.kid, jwk.construct(private, ALGORITHM))
            self._signer_loaded = now
        return self._signer

    async def jwks(self) -> dict[str, Any]:
        """Public keys still valid for verification: the active key and unexpired retired ones."""
        async with self._sessions() as session:
            rows = await SigningKeyRepository(session).verifiable(utcnow())
        return {"keys": [dict(row.public_jwk) for row in rows]}

    async def list_keys(self) -> list[KeyInfo]:
        async with self._sessions() as session:
            rows = await SigningKeyRepository(session).all()
        return [
            KeyInfo(
                kid=row.kid,
                status=row.status,
                source=row.source,
                created_at=row.created_at,
                retire_after=row.retire_after,
            )
            for row in rows
        ]
