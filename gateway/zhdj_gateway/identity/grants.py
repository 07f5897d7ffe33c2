"""Which scopes each role grants: the one place this mapping is written."""

from __future__ import annotations

from collections.abc import Iterable

from zhdj_shared.security.scopes import Role, Scope

READ_SCOPES: frozenset[str] = frozenset(s.value for s in Scope if s.value.endswith(":read"))
ALL_SCOPES: frozenset[str] = frozenset(s.value for s in Scope)

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: ALL_SCOPES,
    Role.ORG_STAFF: frozenset(
        {
            Scope.REGISTRY_READ,
            Scope.REGISTRY_WRITE,
            Scope.REGISTRY_VOLUNTEER,
            Scope.ACTIVITY_READ,
            Scope.ACTIVITY_WRITE,
            Scope.REQUESTS_READ,
            Scope.REQUESTS_WRITE,
            Scope.ASSESSMENT_READ,
        }
    ),
    Role.SERVICE_STAFF: frozenset(
        {Scope.REGISTRY_READ, Scope.REQUESTS_READ, Scope.REQUESTS_WRITE, Scope.ACTIVITY_READ}
    ),
    Role.ASSESSOR: READ_SCOPES | {Scope.ASSESSMENT_WRITE},
    Role.MEMBER: frozenset(
        {
            Scope.REGISTRY_READ,
            Scope.REGISTRY_VOLUNTEER,  # their own volunteer post claims
            Scope.ACTIVITY_READ,
            Scope.ACTIVITY_WRITE,
            Scope.REQUESTS_READ,
            Scope.REQUESTS_WRITE,
        }
    ),
    Role.RESIDENT: frozenset({Scope.REGISTRY_READ, Scope.REQUESTS_READ, Scope.REQUESTS_WRITE}),
    # Clients carry their scopes explicitly; these roles grant nothing by themselves.
    Role.SERVICE: frozenset(),
    Role.THIRD_PARTY: frozenset(),
}

# Roles a person may hold; ``service`` and ``third_party`` describe clients only.
USER_ROLES: frozenset[Role] = frozenset(
    {Role.ADMIN, Role.ORG_STAFF, Role.SERVICE_STAFF, Role.ASSESSOR, Role.MEMBER, Role.RESIDENT}
)
CLIENT_ROLES: frozenset[Role] = frozenset({Role.SERVICE, Role.THIRD_PARTY})


def scopes_for_roles(roles: Iterable[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= {str(s) for s in ROLE_SCOPES.get(Role(role), frozenset())}
    return frozenset(granted)


def service_client_scopes(name: str) -> frozenset[str]:
    """A platform service reads everything; assessment also sets alliance status in the registry."""
    if name == "assessment":
        return READ_SCOPES | {Scope.REGISTRY_WRITE.value}
    return READ_SCOPES
