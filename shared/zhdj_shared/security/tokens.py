"""The one place that verifies JWTs (python-jose, hardened).

python-jose's ``decode`` accepts any algorithm when none is given, accepts a token without
``exp`` unless told, ignores an unknown ``crit`` header and, given a JWKS, tries every key
whatever the ``kid``. This module therefore:

* accepts exactly RS256 (refuses ``none``, HS256-with-the-public-key and everything else);
* requires ``exp``, ``iat``, ``sub`` and checks ``iss`` and ``aud``;
* refuses any ``crit`` header;
* picks the single key named by ``kid`` from a JWKS cached with a TTL, refetching on an unknown
  ``kid`` at most once per cool-down (so garbage tokens cannot make us hammer the gateway).

Every refusal raises :class:`InvalidToken`; callers answer 401. When no key is known because the
JWKS cannot be fetched, :class:`SigningKeysUnavailable` says so instead; callers answer 503: the
token may be perfectly good, and a 401 would make a client throw it away and sign its user out.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from jose import jwk, jwt
from jose.exceptions import JOSEError

ALGORITHM = "RS256"
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    """The token is not one we accept; the message says why (safe to show the client)."""


class SigningKeysUnavailable(Exception):
    """No signing key is known and the JWKS could not be fetched: not the token's fault (503)."""


JwksFetcher = Callable[[], Awaitable[Mapping[str, Any]]]
REFETCH_COOLDOWN_SECONDS = 30.0
# After a failed fetch, the next one waits this long: otherwise, once the TTL had passed, every
# request queued behind the lock for its own failing fetch (up to the fetch timeout each).
FAILED_FETCH_RETRY_SECONDS = 5.0


class JwksCache:
    """Public keys by ``kid``, fetched from the gateway's JWKS and kept ``ttl`` seconds.

    The gateway publishes a new signing key longer than ``ttl`` before it signs with it
    (``ZHDJ_GATEWAY_KEY_PUBLISH_SECONDS``), so a cache refreshed on time always knows the key of
    a token; the refetch on an unknown ``kid`` is the fallback. ``clock`` (monotonic seconds) is
    for tests that move time.
    """

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        ttl: float = 300.0,
        cooldown: float = REFETCH_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._cooldown = cooldown
        self._clock = clock
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._retry_at = float("-inf")  # after a failed fetch: no other one before this
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ttl: float = 300.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> JwksCache:
        async def fetch() -> Mapping[str, Any]:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.get(url)
                response.raise_for_status()
                data: Mapping[str, Any] = response.json()
                return data

        return cls(fetch, ttl=ttl, clock=clock)

    @classmethod
    def static(cls, jwks: Mapping[str, Any]) -> JwksCache:
        async def fetch() -> Mapping[str, Any]:
            return jwks

        return cls(fetch, ttl=float("inf"), cooldown=0.0)

    async def key(self, kid: str) -> dict[str, Any]:
        now = self._clock()
        if now - self._fetched_at > self._ttl:
            await self._refresh(now)
        elif kid not in self._keys and now - self._fetched_at > self._cooldown:
            await self._refresh(now)  # a rotated key may have appeared
        if not self._keys:
            raise SigningKeysUnavailable("signing keys unavailable")
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    async def _refresh(self, now: float) -> None:
        async with self._lock:
            if self._fetched_at == now or self._clock() - self._fetched_at < self._cooldown:
                return
            if self._clock() < self._retry_at:
                return  # a fetch failed moments ago: keep what we have (maybe nothing)
            try:
                document = await self._fetch()
            except Exception:
                self._retry_at = self._clock() + FAILED_FETCH_RETRY_SECONDS
                return  # keep serving the keys we have; none at all is SigningKeysUnavailable
            keys = {
                k["kid"]: dict(k)
                for k in document.get("keys", [])
                if isinstance(k, Mapping) and k.get("kid") and k.get("kty") == "RSA"
            }
            self._keys = keys
            self._fetched_at = self._clock()


@dataclass(frozen=True)
class VerifiedToken:
    claims: dict[str, Any]
    kid: str
    expires_at: float = field(default=0.0)


class TokenVerifier:
    """Verifies tokens; a token verified once is remembered until it expires (bounded cache)."""

    def __init__(
        self, keys: JwksCache, *, issuer: str, audience: str, cache_size: int = 10_000
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self._cache: OrderedDict[str, VerifiedToken] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> VerifiedToken:
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at + LEEWAY_SECONDS > time.time():
                self._cache.move_to_end(token)
                return cached
            del self._cache[token]
        verified = await self._verify_uncached(token)
        self._cache[token] = verified
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return verified

    async def _verify_uncached(self, token: str) -> VerifiedToken:
        header = _unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unsupported algorithm")
        if "crit" in header:
            raise InvalidToken("critical header parameters are not supported")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no key id")
        key = await self.keys.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                jwk.construct(key, ALGORITHM).to_dict(),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "require_aud": True,
                    "require_iss": True,
                    "leeway": LEEWAY_SECONDS,
                },
            )
        except JOSEError as exc:
            raise InvalidToken(_reason(exc)) from exc
        return VerifiedToken(claims=claims, kid=kid, expires_at=float(claims["exp"]))


def _unverified_header(token: str) -> dict[str, Any]:
    if token.count(".") != 2:
        raise InvalidToken("malformed token")
    try:
        header: dict[str, Any] = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise InvalidToken("malformed token") from exc
    return header


def _reason(exc: JOSEError) -> str:
    text = str(exc).lower()
    if "expired" in text:
        return "token expired"
    if "audience" in text:
        return "token audience is wrong"
    if "issuer" in text:
        return "token issuer is wrong"
    if "signature" in text:
        return "signature verification failed"
    if "required" in text or "missing" in text:
        return "token lacks a required claim"
    return "invalid token"
