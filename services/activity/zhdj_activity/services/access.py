"""Who may do what to an activity, decided from the path stored on it (no registry call).

The owner's materialized path is stored on the activity at creation, so reads and most writes
authorize locally and keep working while the registry is down.
"""

from __future__ import annotations

from zhdj_activity.models import Activity
from zhdj_activity.vocabulary import PartyKind
from zhdj_shared.errors import Forbidden
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role


def ancestry_of(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def require_manager(principal: Principal, activity: Activity) -> None:
    """Staff of the owner (for an alliance: of its lead organization) or of any ancestor."""
    if not principal.manages(ancestry_of(activity.owner_path)):
        raise Forbidden("only the organization's staff (or its ancestors') record its activities")


def require_supervisor(principal: Principal, activity: Activity) -> None:
    """The supervising organization: strictly above the owner organization; for an alliance,
    its lead organization or above (the alliance itself sits under its lead)."""
    ancestry = ancestry_of(activity.owner_path)
    above = ancestry if activity.owner_kind == PartyKind.ALLIANCE else ancestry[:-1]
    if principal.is_admin:
        return
    if not (principal.has_role(Role.ORG_STAFF) and any(o in principal.orgs for o in above)):
        raise Forbidden("only the supervising organization approves or returns a record")


def require_reader_of_path(principal: Principal, path: str) -> None:
    """Reports on an organization's data: those acting for it or above, and platform services."""
    if Role.SERVICE in principal.roles or Role.ASSESSOR in principal.roles:
        return
    if not principal.acts_for(ancestry_of(path)):
        raise Forbidden("you do not act for this organization or any above it")
