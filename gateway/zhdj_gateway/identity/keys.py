"""Signing keys: RSA 2048, ``kid`` = RFC 7638 thumbprint, rotation, the public JWKS.

A new key is **published first and signs later**: it enters the JWKS at once and signs from
``activates_at`` = now + ``ZHDJ_GATEWAY_KEY_PUBLISH_SECONDS`` (by default longer than the services'
JWKS cache), so no service meets a token signed by a key its cached JWKS lacks (it would refuse
it until its refetch cool-down allows a new fetch). Until then the previous key keeps signing; from
then on it is retired and stays in the JWKS until ``retire_after`` = ``activates_at`` + access-token
TTL + leeway (its last token has expired). The first key of an empty store signs at once.

What a key does at a moment follows from those two times alone, so every replica switches to the
new key at the same instant without coordinating: keys live in the gateway database, each replica
re-reads them every few seconds and at the next ``activates_at``. When
``ZHDJ_GATEWAY_SIGNING_KEY_PEM`` is set, that key is the one scheduled, and rotation happens by
changing the secret and restarting (the new key is published, then signs, the same way).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk
from jose.backends.base import Key

from zhdj_gateway.identity.models import SigningKey
from zhdj_gateway.identity.repositories import SigningKeyRepository
from zhdj_gateway.identity.sessions import SessionSource
from zhdj_shared.db import claim_writer, utcnow
from zhdj_shared.security.tokens import ALGORITHM, LEEWAY_SECONDS

ACTIVE = "active"
RETIRED = "retired"
NEXT = "next"  # listed only: published, signing from its activates_at
# How often a replica re-reads the keys, to see a rotation made by another one. Switching itself
# happens at the new key's activates_at in every replica that has read it; a replica that has
# not yet (a publication delay under this refresh) signs with the previous key a few seconds
# longer, which the previous key's retire_after covers (it includes the verifiers' leeway).
SIGNER_REFRESH_SECONDS = 10.0
Clock = Callable[[], datetime]


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
    status: str  # "next" (published, not signing yet), "active" (signing), "retired"
    source: str
    created_at: datetime
    activates_at: datetime
    retire_after: datetime | None


def signs_from(key: SigningKey) -> datetime:
    return key.activates_at or key.created_at


def current_and_next(
    keys: Sequence[SigningKey], now: datetime
) -> tuple[SigningKey | None, datetime | None]:
    """Among published keys: the one signing at ``now`` (the latest to have started), and the
    moment the next one starts (None when none is waiting)."""
    started = [k for k in keys if signs_from(k) <= now]
    waiting = [signs_from(k) for k in keys if signs_from(k) > now]
    current = max(started, key=lambda k: (signs_from(k), k.created_at), default=None)
    return current, min(waiting, default=None)


class KeyStore:
    """The gateway's signing keys (``app.state.key_store``)."""

    def __init__(
        self,
        sessions: SessionSource,
        *,
        access_token_ttl: int,
        publish_seconds: int,
        configured_pem: str | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._grace = timedelta(seconds=access_token_ttl + LEEWAY_SECONDS)
        self._publish = timedelta(seconds=publish_seconds)
        self._configured_pem = configured_pem
        self.clock = clock  # the wall clock of the key schedule (tests move it)
        self._signer: Signer | None = None
        self._signer_until = datetime.min.replace(tzinfo=UTC)
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Called after this process changed the keys (so its verifier refetches at once)."""
        self._listeners.append(listener)

    @property
    def managed_by_configuration(self) -> bool:
        return self._configured_pem is not None

    async def ensure_signing_key(self) -> str:
        """At start: the configured key is scheduled unless it already is (published, with no
        successor), or a key is created when the store has none."""
        async with self._sessions() as session:
            await claim_writer(session)  # reads, then writes (several replicas start at once)
            repo = SigningKeyRepository(session)
            if self._configured_pem is not None:
                jwk_ = public_jwk(self._configured_pem)
                existing = await repo.get(jwk_["kid"])
                if existing is None or existing.retire_after is not None:
                    await self._schedule(repo, self._configured_pem, jwk_, "configured")
                kid = str(jwk_["kid"])
            else:
                now = self.clock()
                current, _ = current_and_next(await repo.published(now), now)
                if current is None:
                    pem = await asyncio.to_thread(generate_private_pem)
                    kid = await self._schedule(
                        repo, pem, public_jwk(pem, trusted=True), "generated"
                    )
                else:
                    kid = current.kid
        self._changed()
        return kid

    async def rotate(self) -> str:
        """A new key, published now and signing after the publication delay; the previous ones
        stay verifiable until their tokens expire."""
        pem = await asyncio.to_thread(generate_private_pem)  # ~0.1 s of CPU: off the loop
        async with self._sessions() as session:
            await claim_writer(session)
            kid = await self._schedule(
                SigningKeyRepository(session), pem, public_jwk(pem, trusted=True), "generated"
            )
        self._changed()
        return kid

    async def _schedule(
        self, repo: SigningKeyRepository, pem: str, jwk_: dict[str, Any], source: str
    ) -> str:
        """The key signs after the publication delay (at once if nothing signs yet); every
        key without a successor signs until then and verifies one token lifetime longer."""
        now = self.clock()
        current, _ = current_and_next(await repo.published(now), now)
        starts = now if current is None else now + self._publish
        await repo.supersede(retire_after=starts + self._grace)
        existing = await repo.get(jwk_["kid"])
        if existing is None:
            existing = SigningKey(
                kid=jwk_["kid"], private_pem=pem, public_jwk=jwk_, status=ACTIVE, source=source
            )
        existing.status, existing.activates_at, existing.retire_after = ACTIVE, starts, None
        await repo.save(existing)
        return str(jwk_["kid"])

    def _changed(self) -> None:
        self._signer = None
        for listener in self._listeners:
            listener()

    async def signer(self) -> Signer:
        """The key signing now: re-read every few seconds (a rotation on another replica) and at
        the moment a published key starts signing."""
        now = self.clock()
        if self._signer is None or now >= self._signer_until:
            async with self._sessions() as session:
                current, upcoming = current_and_next(
                    await SigningKeyRepository(session).published(now), now
                )
            if current is None:
                raise RuntimeError("no signing key (ensure_signing_key() runs at start)")
            if self._signer is None or self._signer.kid != current.kid:
                # Rows were validated when stored (configured) or generated here: skip the check.
                private = load_private_key(current.private_pem, trusted=True)
                self._signer = Signer(current.kid, jwk.construct(private, ALGORITHM))
            refresh = now + timedelta(seconds=SIGNER_REFRESH_SECONDS)
            self._signer_until = min(refresh, upcoming) if upcoming else refresh
        return self._signer

    async def jwks(self) -> dict[str, Any]:
        """Public keys to verify with: the signing key, any waiting to sign, and retired keys
        whose tokens may still be valid."""
        async with self._sessions() as session:
            rows = await SigningKeyRepository(session).published(self.clock())
        return {"keys": [dict(row.public_jwk) for row in rows]}

    async def list_keys(self) -> list[KeyInfo]:
        now = self.clock()
        async with self._sessions() as session:
            rows = await SigningKeyRepository(session).all()
        published = [r for r in rows if r.retire_after is None or r.retire_after > now]
        current, _ = current_and_next(published, now)
        return [
            KeyInfo(
                kid=row.kid,
                status=_status(row, current, now),
                source=row.source,
                created_at=row.created_at,
                activates_at=signs_from(row),
                retire_after=row.retire_after,
            )
            for row in rows
        ]


def _status(row: SigningKey, current: SigningKey | None, now: datetime) -> str:
    if current is not None and row.kid == current.kid:
        return ACTIVE
    return NEXT if signs_from(row) > now else RETIRED
