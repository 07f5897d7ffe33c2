"""Calls from one service to another, through the gateway, with the caller's own credentials.

* client-credentials token fetched from the gateway's token endpoint and cached until shortly
  before it expires;
* explicit connect/read timeouts and an overall deadline per call;
* retries (with backoff) only for idempotent methods and only on connection errors or 502/503/504,
  so a POST is never sent twice, unless the caller says it is a read (``idempotent=True``: a
  batch read sent as a POST because its ids do not fit a query string, see
  docs/decisions/0008-batch-reads.md);
* the current request id is passed on in ``X-Request-ID``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from zhdj_shared.context import current_request_id
from zhdj_shared.errors import ServiceUnavailable

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
TOKEN_REFRESH_MARGIN_SECONDS = 30


class ServiceClient:
    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None,
        client_secret: str | None,
        scopes: str = "",
        connect_timeout: float = 2.0,
        read_timeout: float = 10.0,
        deadline: float = 15.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        token_source: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        """``token_source`` replaces the token endpoint (tests serve an upstream in-process
        and mint its tokens with the test keys); by default the client-credentials grant runs."""
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            transport=transport,
        )
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = scopes
        self._deadline = deadline
        self._retries = retries
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self._token_source = token_source

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _access_token(self) -> str | None:
        if self._token_source is not None:
            return await self._token_source()
        if self._client_id is None or self._client_secret is None:
            return None
        if self._token and time.time() < self._token_expires - TOKEN_REFRESH_MARGIN_SECONDS:
            return self._token
        async with self._token_lock:
            if self._token and time.time() < self._token_expires - TOKEN_REFRESH_MARGIN_SECONDS:
                return self._token
            data = {"grant_type": "client_credentials"}
            if self._scopes:
                data["scope"] = self._scopes
            response = await self._http.post(
                "/auth/token", data=data, auth=(self._client_id, self._client_secret)
            )
            response.raise_for_status()
            body = response.json()
            self._token = str(body["access_token"])
            self._token_expires = time.time() + float(body.get("expires_in", 300))
            return self._token

    def forget_token(self) -> None:
        self._token = None

    async def request(
        self, method: str, path: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One call with the platform's rules; raises :class:`ServiceUnavailable` when it fails.

        ``idempotent`` overrides what the method says: ``True`` for a POST that only reads (sent
        again on a connection error or a 502/503/504 like a GET), ``False`` never retries."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + (self._retries if idempotent else 0)
        try:
            async with asyncio.timeout(self._deadline):
                return await self._attempt(method, path, attempts, **kwargs)
        except TimeoutError as exc:
            raise ServiceUnavailable(f"{path}: no answer within {self._deadline:g} s") from exc

    async def _attempt(
        self, method: str, path: str, attempts: int, **kwargs: Any
    ) -> httpx.Response:
        last_error: str = "no attempt made"
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(min(0.1 * 2**attempt, 1.0))
            headers = dict(kwargs.pop("headers", None) or {})
            request_id = current_request_id()
            if request_id:
                headers["X-Request-ID"] = request_id
            try:
                token = await self._access_token()
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                response = await self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                last_error = type(exc).__name__
                continue
            except httpx.HTTPStatusError as exc:  # the token endpoint refused or failed
                last_error = f"token endpoint answered {exc.response.status_code}"
                continue
            if response.status_code == 401 and token:
                self.forget_token()  # keys rotated or token revoked: fetch a new one next time
            if response.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                last_error = f"status {response.status_code}"
                continue
            return response
        raise ServiceUnavailable(f"{path}: {last_error}")

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, *, idempotent: bool = False, **kwargs: Any) -> httpx.Response:
        """A POST is sent once, unless ``idempotent=True`` (a read: safe to send again)."""
        return await self.request("POST", path, idempotent=idempotent, **kwargs)
