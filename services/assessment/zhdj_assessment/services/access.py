"""Who may do what: assessors (and administrators) manage; a target's staff read their own."""

from __future__ import annotations

from zhdj_shared.errors import Forbidden
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role


def ancestry_of(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def is_assessor(principal: Principal) -> bool:
    return principal.has_role(Role.ASSESSOR)


def require_assessor(principal: Principal) -> None:
    if not is_assessor(principal):
        raise Forbidden("only assessors (考核人员) do this")


def is_staff_of(principal: Principal, path: str) -> bool:
    """Staff acting for the target (for an alliance: its lead organization) or above it."""
    return principal.has_role(Role.ORG_STAFF) and principal.acts_for(ancestry_of(path))
