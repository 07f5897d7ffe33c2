"""The registry, as the other services see it: organizations, their ancestry, and any other
read through the gateway with the calling service's own client credentials.

One client per process (``app.state.registry``), built from the settings by
:meth:`RegistryClient.from_settings`. Answers are plain JSON (``dict``/``list``): each service
reads only the fields it needs, so a registry release that adds fields breaks nobody.

Failures are explicit: an unknown organization is ``None`` (the caller decides whether that is a
404 or a 422), and the registry being unreachable or failing is :class:`ServiceUnavailable`
(503), never an empty answer that would look like "no data".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Depends, Request

from zhdj_shared.batch import chunks, unique
from zhdj_shared.client import ServiceClient
from zhdj_shared.errors import ServiceUnavailable
from zhdj_shared.security.scopes import Scope
from zhdj_shared.settings import ServiceSettings

# An organization's place in the tree changes only when it is moved (rare, by administrators),
# its record (name, kind, status) about as rarely; a short cache keeps authorization checks and
# the services' lookups off the network for the common case (under the platform's mixed load the
# uncached record read was the registry's busiest route, ~45 calls/s). A change is seen within
# the cache's time.
ANCESTRY_CACHE_SECONDS = 60.0
ANCESTRY_CACHE_SIZE = 10_000
# Batch reads (POST, at most 200 ids each; docs/decisions/0008-batch-reads.md).
ORGANIZATION_LOOKUPS = "/api/registry/lookups/organizations"
ALLIANCE_LOOKUPS = "/api/registry/lookups/alliances"


class RegistryClient:
    def __init__(self, client: ServiceClient, *, cache_seconds: float = ANCESTRY_CACHE_SECONDS):
        self._client = client
        self._cache_seconds = cache_seconds
        self._ancestry: dict[str, tuple[float, list[str]]] = {}
        self._records: dict[str, tuple[float, dict[str, Any]]] = {}
        self._reads: dict[str, tuple[float, Any]] = {}

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> RegistryClient:
        platform = settings.platform
        return cls(
            ServiceClient(
                platform.gateway_url,
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                scopes=Scope.REGISTRY_READ.value,
                connect_timeout=platform.http_connect_timeout,
                read_timeout=platform.http_read_timeout,
                transport=transport,
            )
        )

    @property
    def http(self) -> ServiceClient:
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(
        self, path: str, params: dict[str, Any] | None = None, *, cached: bool = False
    ) -> Any | None:
        """``GET`` a registry path: its JSON, ``None`` on 404, 503 when the registry fails.

        ``cached``: an answer as old as the cache's time will do (a resident's household, the
        volunteer teams of a subtree: read on every submission, changed by hand now and then).
        Only answers are kept, never a ``None``: what is registered meanwhile is found at once.
        """
        if cached:
            key = path + "?" + "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
            now = time.monotonic()
            found = self._reads.get(key)
            if found is not None and found[0] > now:
                return found[1]
            body = await self.get_json(path, params)
            if body is not None:
                if len(self._reads) >= ANCESTRY_CACHE_SIZE:
                    self._reads.clear()
                self._reads[key] = (now + self._cache_seconds, body)
            return body
        response = await self._client.get(path, params=params)
        if response.status_code == 404 or 300 <= response.status_code < 400:
            # A redirect means the path named no resource (an empty id leaves a trailing slash).
            return None
        if response.status_code >= 400:
            # 401/403 mean this service's own credentials are wrong: an outage, not the caller's
            # fault; 5xx is the registry's. Either way the caller's request cannot be served now.
            raise ServiceUnavailable(f"registry answered {response.status_code} for {path}")
        return response.json()

    async def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """A batch read (``POST``, retried like a GET: it changes nothing): its JSON, 503 when the
        registry fails. Unknown ids are the answer's ``missing``, never a 404."""
        response = await self._client.post(path, json=body, idempotent=True)
        if response.status_code >= 400:
            # Our own body refused (422) is a bug here, not the caller's: an outage for them too.
            raise ServiceUnavailable(f"registry answered {response.status_code} for {path}")
        return response.json()

    async def organizations_by_id(self, org_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The registry records of many organizations (``POST /lookups/organizations``, one
        call per 200); unknown ids are left out. Their ancestries are cached on the way."""
        found: dict[str, dict[str, Any]] = {}
        now = time.monotonic()
        for chunk in chunks(unique(org_ids)):
            body = await self.post_json(ORGANIZATION_LOOKUPS, {"ids": chunk})
            for item in body["items"]:
                found[str(item["id"])] = item
                self._remember_record(item, now)
        return found

    async def ancestries(self, org_ids: list[str]) -> dict[str, list[str]]:
        """Ids from the root down to each organization (cached; the uncached ones in one call
        per 200); unknown organizations are left out."""
        now = time.monotonic()
        found: dict[str, list[str]] = {}
        wanted: list[str] = []
        for org_id in unique(org_ids):
            cached = self._ancestry.get(org_id)
            if cached is not None and cached[0] > now:
                found[org_id] = cached[1]
            else:
                wanted.append(org_id)
        if wanted:
            for org_id, body in (await self.organizations_by_id(wanted)).items():
                found[org_id] = [*map(str, body["ancestor_ids"]), org_id]
        return found

    def forget_organizations(self, org_ids: Iterable[str]) -> None:
        """Drop what this process cached about these organizations and everything below them
        (they moved: their ancestries changed). Called by the moves follower
        (``zhdj_shared.moves``) as soon as it reads a move, so this process stops answering
        the old position within one poll rather than the cache's 60 s.

        Cached reads (``get_json(cached=True)``: a subtree's volunteer teams, a household) may
        carry any subtree's shape and are all dropped: moves are rare, a read is cheap.
        """
        moved = set(org_ids)
        if not moved:
            return
        for org_id, (_, ids) in list(self._ancestry.items()):
            if not moved.isdisjoint(ids):
                del self._ancestry[org_id]
        for org_id, (_, body) in list(self._records.items()):
            if org_id in moved or not moved.isdisjoint(map(str, body["ancestor_ids"])):
                del self._records[org_id]
        self._reads.clear()

    def _remember(self, org_id: str, ids: list[str], now: float) -> None:
        if len(self._ancestry) >= ANCESTRY_CACHE_SIZE:
            self._ancestry.clear()
        self._ancestry[org_id] = (now + self._cache_seconds, ids)

    def _remember_record(self, body: dict[str, Any], now: float) -> None:
        """An organization's record, and the ancestry it carries."""
        org_id = str(body["id"])
        if len(self._records) >= ANCESTRY_CACHE_SIZE:
            self._records.clear()
        self._records[org_id] = (now + self._cache_seconds, body)
        self._remember(org_id, [*map(str, body["ancestor_ids"]), org_id], now)

    async def ancestry(self, org_id: str) -> list[str] | None:
        """Ids from the root down to ``org_id`` itself; ``None`` for an unknown organization."""
        now = time.monotonic()
        cached = self._ancestry.get(org_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        body = await self.get_json(f"/api/registry/organizations/{segment(org_id)}/ancestry")
        if body is None:
            return None
        ids = [str(i) for i in body["ancestor_ids"]]
        self._remember(org_id, ids, now)
        return ids

    async def organization(self, org_id: str) -> dict[str, Any] | None:
        """The organization's registry record (cached), or ``None`` when unknown."""
        now = time.monotonic()
        cached = self._records.get(org_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        body = await self.get_json(f"/api/registry/organizations/{segment(org_id)}")
        if not isinstance(body, dict):
            return None
        self._remember_record(body, now)
        return body


def segment(value: str) -> str:
    """``value`` as one URL path segment: every character that is not unreserved is escaped.

    Ids come from callers (bodies, query strings): one with a ``/``, ``?``, ``#`` or a control
    character must name a resource that does not exist (404), never another path or an
    invalid URL (500).
    """
    return quote(value, safe="")


async def get_registry(request: Request) -> RegistryClient:
    registry: RegistryClient = request.app.state.registry
    return registry


RegistryDep = Annotated[RegistryClient, Depends(get_registry)]
