"""Who sees which request, and whose personal data is shown unmasked.

* a resident: only their own requests (unmasked: it is their own data);
* staff (service-center or organization staff): the requests handled in their organizations'
  subtrees, unmasked: they handle them;
* a third-party client: only the requests it submitted, masked;
* a platform service (``service`` role, e.g. assessment reading statistics) and administrators:
  every request; services see them masked.
"""

from __future__ import annotations

from zhdj_service_requests.models import ServiceRequest
from zhdj_service_requests.registry import org_path
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role

STAFF_ROLES = (Role.SERVICE_STAFF, Role.ORG_STAFF)


def path_ids(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def is_staff(principal: Principal) -> bool:
    return any(r in principal.roles for r in STAFF_ROLES)


def is_resident(principal: Principal) -> bool:
    return Role.RESIDENT in principal.roles and not is_staff(principal)


def is_third_party(principal: Principal) -> bool:
    return Role.THIRD_PARTY in principal.roles


def client_key(principal: Principal) -> str:
    return principal.client_id or principal.subject


def handles(principal: Principal, request: ServiceRequest) -> bool:
    """Staff acting for the handling organization or one above it (or an administrator)."""
    if principal.is_admin:
        return True
    return is_staff(principal) and principal.acts_for(path_ids(request.handling_path))


def owns(principal: Principal, request: ServiceRequest) -> bool:
    return request.resident_user_id is not None and request.resident_user_id == principal.subject


def sees(principal: Principal, request: ServiceRequest) -> bool:
    if principal.is_admin or Role.SERVICE in principal.roles:
        return True
    if is_third_party(principal):
        return request.submitted_client_id == client_key(principal)
    return owns(principal, request) or handles(principal, request)


def masked_for(principal: Principal, request: ServiceRequest) -> bool:
    return not (principal.is_admin or owns(principal, request) or handles(principal, request))


def supervises(principal: Principal, request: ServiceRequest) -> bool:
    """Staff of an organization strictly above the handling one (approves extensions)."""
    if principal.is_admin:
        return True
    above = path_ids(request.handling_path)[:-1]
    return is_staff(principal) and any(org in principal.orgs for org in above)


async def staff_paths(principal: Principal, registry: RegistryClient) -> list[str]:
    """The subtree prefixes of the organizations the staff member acts for."""
    paths = []
    for org_id in sorted(principal.orgs):
        path = await org_path(registry, org_id)
        if path is not None:
            paths.append(path)
    return paths
