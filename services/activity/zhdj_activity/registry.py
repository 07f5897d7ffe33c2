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

from zhdj_shared.batch import chunks, unique
from zhdj_shared.registry_client import ALLIANCE_LOOKUPS, RegistryClient, segment

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
    return None if body is None else _org_info(body)


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


def forget_subtrees(_moves: object = None) -> None:
    """Drop the cached subtree listings (an organization moved: a listing may hold its old
    path; a moves listener of ``zhdj_shared.moves``)."""
    _subtrees.clear()


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


@dataclass(frozen=True)
class MemberOrg:
    """A member organization of an alliance on a date, and its secretary (书记) that day."""

    org_id: str
    org_name: str
    org_kind: str
    secretary: RosterEntry | None


@dataclass(frozen=True)
class AllianceInfo:
    """What compliance, statistics and the lecture check need of an alliance."""

    id: str
    name: str
    lead_path: str  # the lead organization's path ("" when the registry lost it)
    members: list[MemberOrg]  # on the date asked, in the registry's member order


async def alliances_on(
    registry: RegistryClient, alliance_ids: list[str], on: date
) -> dict[str, AllianceInfo]:
    """The known alliances among ``alliance_ids`` with their members and secretaries on ``on``:
    ONE registry call per 200 (``POST /lookups/alliances``) instead of the alliance, its lead,
    its members and one positions call per member organization. Unknown ids are left out."""
    found: dict[str, AllianceInfo] = {}
    for chunk in chunks(unique(alliance_ids)):
        body = await registry.post_json(ALLIANCE_LOOKUPS, {"ids": chunk, "on": on.isoformat()})
        for item in body["items"]:
            alliance, ancestry = item["alliance"], [str(i) for i in item["lead_ancestry"]]
            found[str(alliance["id"])] = AllianceInfo(
                id=str(alliance["id"]),
                name=str(alliance["name"]),
                lead_path=path_of(ancestry) if ancestry else "",
                members=[_member_org(m) for m in item["members"]],
            )
    return found


def _member_org(item: dict[str, Any]) -> MemberOrg:
    org_id, secretary = str(item["org_id"]), item.get("secretary")
    return MemberOrg(
        org_id=org_id,
        org_name=str(item["org_name"]),
        org_kind=str(item["org_kind"]),
        secretary=RosterEntry(
            member_id=str(secretary["member_id"]), name=str(secretary["name"]), org_id=org_id
        )
        if secretary
        else None,
    )


async def organizations(registry: RegistryClient, org_ids: list[str]) -> dict[str, OrgInfo]:
    """The known organizations among ``org_ids``: one registry call per 200."""
    return {
        org_id: _org_info(body)
        for org_id, body in (await registry.organizations_by_id(org_ids)).items()
    }


def _org_info(body: dict[str, Any]) -> OrgInfo:
    ancestry = [*body["ancestor_ids"], body["id"]]
    return OrgInfo(id=body["id"], name=body["name"], kind=body["kind"], path=path_of(ancestry))
