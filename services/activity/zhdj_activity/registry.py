"""The registry reads this service needs, on top of :class:`RegistryClient.get_json`.

Answers are plain JSON; only the fields read here are relied on. ``None`` means "unknown in the
registry" (the caller makes it a 422 or 404); an unreachable registry is a 503 raised by the
client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from zhdj_shared.registry_client import RegistryClient, segment

PAGE = 200


@dataclass(frozen=True)
class OrgInfo:
    id: str
    name: str
    kind: str
    path: str  # ancestry joined by "/" with a trailing "/"


@dataclass(frozen=True)
class RosterEntry:
    member_id: str
    name: str
    org_id: str


def path_of(ancestry: list[str]) -> str:
    return "/".join(ancestry) + "/"


async def _all_pages(
    registry: RegistryClient, path: str, params: dict[str, Any]
) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
        body = await registry.get_json(path, query)
        if body is None:
            return None
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


async def organization(registry: RegistryClient, org_id: str) -> OrgInfo | None:
    body = await registry.organization(org_id)
    if body is None:
        return None
    ancestry = [*body["ancestor_ids"], body["id"]]
    return OrgInfo(id=body["id"], name=body["name"], kind=body["kind"], path=path_of(ancestry))


# A subtree listing is several registry pages (200 organizations each); organizations are added
# or moved rarely, and a report seeing a minute-old tree is acceptable (the shared client caches
# ancestries the same way).
SUBTREE_CACHE_SECONDS = 60.0
_subtrees: dict[tuple[int, str], tuple[float, list[OrgInfo]]] = {}


async def subtree(registry: RegistryClient, org_id: str) -> list[OrgInfo] | None:
    """Every active organization in ``org_id``'s subtree, itself included (cached briefly)."""
    key, now = (id(registry), org_id), time.monotonic()
    cached = _subtrees.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = await _fetch_subtree(registry, org_id)
    if found is not None:
        if len(_subtrees) > 1000:
            _subtrees.clear()
        _subtrees[key] = (now + SUBTREE_CACHE_SECONDS, found)
    return found


async def _fetch_subtree(registry: RegistryClient, org_id: str) -> list[OrgInfo] | None:
    items = await _all_pages(registry, "/api/registry/organizations", {"within": org_id})
    if items is None:
        return None
    return [
        OrgInfo(
            id=o["id"],
            name=o["name"],
            kind=o["kind"],
            path=path_of([*o["ancestor_ids"], o["id"]]),
        )
        for o in items
    ]


async def alliance(registry: RegistryClient, alliance_id: str) -> dict[str, Any] | None:
    body = await registry.get_json(f"/api/registry/alliances/{segment(alliance_id)}")
    return body if isinstance(body, dict) else None


async def alliance_member_orgs(
    registry: RegistryClient, alliance_id: str, on: date
) -> list[dict[str, Any]] | None:
    return await _all_pages(
        registry, f"/api/registry/alliances/{alliance_id}/members", {"on": on.isoformat()}
    )


async def roster(registry: RegistryClient, org_id: str) -> list[RosterEntry]:
    """Current members whose home is ``org_id`` (the registry's own list, not a copy)."""
    items = await _all_pages(registry, "/api/registry/members", {"home_org_id": org_id})
    return [
        RosterEntry(member_id=m["id"], name=m["name"], org_id=m["home_org_id"]) for m in items or []
    ]


async def member(registry: RegistryClient, member_id: str) -> RosterEntry | None:
    body = await registry.get_json(f"/api/registry/members/{segment(member_id)}")
    if body is None or not body.get("active", True):
        return None
    return RosterEntry(member_id=body["id"], name=body["name"], org_id=body["home_org_id"])


async def member_of_user(registry: RegistryClient, user_id: str) -> RosterEntry | None:
    body = await registry.get_json(f"/api/registry/members/by-user/{segment(user_id)}")
    if body is None:
        return None
    return RosterEntry(member_id=body["id"], name=body["name"], org_id=body["home_org_id"])


async def venue(registry: RegistryClient, venue_id: str) -> dict[str, Any] | None:
    body = await registry.get_json(f"/api/registry/venues/{segment(venue_id)}")
    return body if isinstance(body, dict) and body.get("status") == "open" else None


async def secretaries(
    registry: RegistryClient, org_ids: list[str], on: date
) -> dict[str, RosterEntry]:
    """The secretary (书记) of each organization on ``on``, where one is appointed."""
    found: dict[str, RosterEntry] = {}
    for org_id in org_ids:
        items = await _all_pages(
            registry,
            "/api/registry/positions",
            {"org_id": org_id, "kind": "secretary", "at": on.isoformat()},
        )
        for p in items or []:
            found[org_id] = RosterEntry(
                member_id=p["member_id"], name=p["member_name"], org_id=org_id
            )
    return found
