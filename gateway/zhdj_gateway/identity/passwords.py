"""Password (and client-secret) hashing: scrypt with a per-hash salt, parameters in the string.

Format: ``scrypt$ln=15,r=8,p=1$<salt>$<hash>`` (base64url without padding). The parameters travel
with each hash, so the cost can be raised later: :meth:`PasswordHasher.needs_rehash` tells when a
stored hash is weaker than the current setting, and a successful login rehashes it. Hashing runs
in a worker thread (``hashlib.scrypt`` releases the GIL) so it never blocks the event loop.

At most ``hash_concurrency`` hashes run at once (default: one per core). Each takes 32 MiB, and
the thread pool would otherwise run six or more: a burst of logins (or of password guesses,
before throttling counts them) pushed the gateway past 200 MB, and more threads than cores
make no hash finish sooner.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SCHEME = "scrypt"
SALT_BYTES = 16
KEY_BYTES = 32
DEFAULT_COST = 15  # log2(N): N = 32768, r = 8 -> 32 MiB and roughly 0.1 s per hash


class PasswordSettings(BaseSettings):
    """``ZHDJ_GATEWAY_PASSWORD_HASH_COST`` (log2 of scrypt's N); tests lower it, production not."""

    model_config = SettingsConfigDict(env_prefix="ZHDJ_GATEWAY_PASSWORD_", extra="ignore")

    hash_cost: int = DEFAULT_COST
    min_length: int = 8
    hash_concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)


@dataclass(frozen=True)
class ScryptParams:
    ln: int
    r: int = 8
    p: int = 1

    def encode(self) -> str:
        return f"ln={self.ln},r={self.r},p={self.p}"

    @classmethod
    def decode(cls, text: str) -> ScryptParams:
        fields = dict(part.split("=", 1) for part in text.split(","))
        return cls(ln=int(fields["ln"]), r=int(fields["r"]), p=int(fields["p"]))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: str, salt: bytes, params: ScryptParams) -> bytes:
    n = 1 << params.ln
    return hashlib.scrypt(
        secret.encode(),
        salt=salt,
        n=n,
        r=params.r,
        p=params.p,
        maxmem=256 * params.r * n * params.p + (1 << 20),
        dklen=KEY_BYTES,
    )


class PasswordHasher:
    def __init__(self, cost: int = DEFAULT_COST, *, concurrency: int | None = None) -> None:
        if not 1 <= cost <= 20:
            raise ValueError("scrypt cost (log2 N) must be between 1 and 20")
        self.params = ScryptParams(ln=cost)
        self._gate = asyncio.Semaphore(concurrency or os.cpu_count() or 1)
        # Verified against when the user does not exist, so timing does not reveal usernames.
        self._dummy = self.hash_sync(_b64(os.urandom(12)))

    @classmethod
    def from_env(cls) -> PasswordHasher:
        settings = PasswordSettings()
        return cls(settings.hash_cost, concurrency=settings.hash_concurrency)

    def hash_sync(self, secret: str) -> str:
        salt = os.urandom(SALT_BYTES)
        digest = _derive(secret, salt, self.params)
        return f"{SCHEME}${self.params.encode()}${_b64(salt)}${_b64(digest)}"

    @staticmethod
    def verify_sync(secret: str, encoded: str) -> bool:
        try:
            scheme, params_text, salt_text, digest_text = encoded.split("$")
            if scheme != SCHEME:
                return False
            params = ScryptParams.decode(params_text)
            expected = _unb64(digest_text)
            actual = _derive(secret, _unb64(salt_text), params)
        except (ValueError, KeyError):
            return False
        return hmac.compare_digest(actual, expected)

    def needs_rehash(self, encoded: str) -> bool:
        try:
            return ScryptParams.decode(encoded.split("$")[1]) != self.params
        except (ValueError, KeyError, IndexError):
            return True

    async def hash(self, secret: str) -> str:
        async with self._gate:
            return await asyncio.to_thread(self.hash_sync, secret)

    async def verify(self, secret: str, encoded: str | None) -> bool:
        """Constant-time check; ``None`` (no such account) still costs one hash."""
        async with self._gate:
            if encoded is None:
                await asyncio.to_thread(self.verify_sync, secret, self._dummy)
                return False
            return await asyncio.to_thread(self.verify_sync, secret, encoded)
