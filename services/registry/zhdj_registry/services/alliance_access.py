"""Who may do what to an alliance.

* **Managers**: the platform administrator, and staff acting for the alliance's lead organization
  or any organization above it. They write everything of the alliance.
* **Member staff**: staff acting for a current member organization (or above it). They read
  everything, and write their own organization's entries (supply-demand items, pledges, progress
  of projects their organization leads).
* **Superiors' decisions**: rectification (整顿) and demonstration-site designations (精品示范点)
  are set by the administrator or by another part of the platform (role ``service``: the
  assessment service), never by the alliance's own managers.
* **Readers**: any principal with ``registry:read`` sees the public parts (the alliance, members,
  chains, leadership team, conveners, lists, designations, status history). The funds ledger
  and the full-time staff are for managers, member staff and platform services only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zhdj_registry.models import Alliance, Organization
from zhdj_registry.repositories.alliances import AllianceRepository
from zhdj_shared.clock import today_in_china
from zhdj_shared.errors import Forbidden, NotFound
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role


def today() -> date:
    """The business date (Asia/Shanghai)."""
    return today_in_china()


def acts_for_org(principal: Principal, org: Organization) -> bool:
    """Staff acting for ``org`` or an organization above it (administrators always)."""
    return principal.manages(org.ancestry())


def is_superior(principal: Principal) -> bool:
    """The administrator or a platform service (assessment): rectification and designations."""
    return principal.is_admin or Role.SERVICE in principal.roles


@dataclass(frozen=True)
class AllianceAccess:
    alliance: Alliance
    principal: Principal
    manager: bool
    member_orgs: frozenset[str]  # current member organizations the principal acts for

    @property
    def insider(self) -> bool:
        return self.manager or bool(self.member_orgs)

    def require_manager(self) -> None:
        if not self.manager:
            raise Forbidden(
                "only staff of the alliance's lead organization (or above it) may do this"
            )

    def require_restricted_read(self) -> None:
        if not (self.insider or Role.SERVICE in self.principal.roles):
            raise Forbidden("only the alliance's managers and member organizations may read this")

    def writes_for(self, org_id: str) -> bool:
        """May write entries of this (member) organization."""
        return self.manager or org_id in self.member_orgs

    def require_writes_for(self, org_id: str) -> None:
        if not self.writes_for(org_id):
            raise Forbidden("you act neither for the alliance's lead nor for this organization")


async def get_alliance(
    repository: AllianceRepository, alliance_id: str, *, for_update: bool = False
) -> Alliance:
    alliance = await repository.get(alliance_id, for_update=for_update)
    if alliance is None:
        raise NotFound(f"alliance {alliance_id} does not exist")
    return alliance


async def alliance_access(
    repository: AllianceRepository,
    principal: Principal,
    alliance_id: str,
    *,
    for_update: bool = False,
) -> AllianceAccess:
    """Load the alliance (locked for update when asked) and the caller's standing in it."""
    alliance = await get_alliance(repository, alliance_id, for_update=for_update)
    lead = await repository.organization(alliance.lead_org_id)
    manager = lead is not None and acts_for_org(principal, lead)
    members: frozenset[str] = frozenset()
    if principal.has_role(Role.ORG_STAFF):
        current = await repository.current_members(alliance.id, today())
        members = frozenset(org.id for _, org in current if acts_for_org(principal, org))
    return AllianceAccess(alliance, principal, manager, members)
