"""What the service-requests service reads from the registry, through the shared client.

Every read goes through the gateway with this service's own credentials (``RegistryClient``);
an unknown thing is ``None``, the registry being down is a 503 (``ServiceUnavailable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhdj_shared.registry_client import RegistryClient, segment


@dataclass(frozen=True)
class Place:
    """Where a request belongs: the community and, when known, the grid and household."""

    community_id: str
    grid_id: str | None = None
    household_id: str | None = None
    grid_worker_name: str | None = None


def path_of(ancestry: list[str]) -> str:
    """The materialized path stored on requests: ``/root/.../org/`` (prefix = subtree)."""
    return "/" + "/".join(ancestry) + "/"


async def org_path(registry: RegistryClient, org_id: str) -> str | None:
    ancestry = await registry.ancestry(org_id)
    return None if ancestry is None else path_of(ancestry)


async def household_place(registry: RegistryClient, user_id: str) -> Place | None:
    """The resident's registered household (``/households/by-user/{user_id}``), if any."""
    body = await registry.get_json(
        f"/api/registry/households/by-user/{segment(user_id)}", cached=True
    )
    if not isinstance(body, dict):
        return None
    return Place(
        community_id=str(body["community_id"]),
        grid_id=str(body["grid_id"]),
        household_id=str(body["household_id"]),
        grid_worker_name=body.get("grid_worker_name"),
    )


async def locate(registry: RegistryClient, lat: float, lng: float) -> Place | None:
    """The grid whose circle holds the point, and its community."""
    body = await registry.get_json("/api/registry/grids/locate", {"lat": lat, "lng": lng})
    if not isinstance(body, dict):
        return None
    return Place(community_id=str(body["community_id"]), grid_id=str(body["grid"]["id"]))


async def volunteer_teams(registry: RegistryClient, post_kind: str, within: str) -> list[str]:
    """Ids of active teams in ``within``'s subtree with an active post of ``post_kind``."""
    body: Any = await registry.get_json(
        "/api/registry/volunteer-teams",
        {"post_kind": post_kind, "within": within, "limit": 20},
        cached=True,
    )
    if not isinstance(body, dict):
        return []
    return [str(t["id"]) for t in body.get("items", [])]


async def volunteer_team_exists(registry: RegistryClient, team_id: str) -> bool:
    return await registry.get_json(f"/api/registry/volunteer-teams/{segment(team_id)}") is not None
