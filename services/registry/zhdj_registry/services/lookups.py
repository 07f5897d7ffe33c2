"""Batch lookups for the other services: many alliances or organizations in a few statements.

The activity service needs, for every alliance of a report, the alliance, its lead's ancestry
(authorization), its member organizations on a date and each one's secretary; the assessment
service the alliance's own figures. One call answers all of that for up to 200 alliances with
a fixed number of statements (alliances, their facts, leads, memberships, secretaries) instead
of 2 + one per member organization for each alliance. Reading them needs ``registry:read``,
like the single reads; nothing restricted (funds, full-time staff) is included.
"""

from __future__ import annotations

from datetime import date

from zhdj_registry.models import Organization
from zhdj_registry.repositories.members import MemberRepository
from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.schemas.alliances import AllianceRead
from zhdj_registry.schemas.lookups import AllianceLookup, LookupMember
from zhdj_registry.services.alliances import AllianceService
from zhdj_registry.vocabulary import PositionKind
from zhdj_shared.batch import unique


class LookupService:
    def __init__(
        self,
        alliances: AllianceService,
        members: MemberRepository,
        organizations: OrganizationRepository,
    ) -> None:
        self.alliances = alliances
        self.members = members
        self.organizations = organizations

    async def alliances_on(
        self, alliance_ids: list[str], on: date
    ) -> tuple[list[AllianceLookup], list[str]]:
        """The known alliances (in the order asked, each once) and the unknown ids."""
        ids = unique(alliance_ids)
        repository = self.alliances.repository
        found = await repository.get_many(ids)
        alliances = [found[i] for i in ids if i in found]
        facts = await self.alliances.facts(alliances)
        leads = await repository.organizations([a.lead_org_id for a in alliances])
        members = await repository.members_of_many([a.id for a in alliances], on)
        org_ids = unique(org.id for rows in members.values() for _, org in rows)
        secretaries = await self.members.holders_on(org_ids, PositionKind.SECRETARY.value, on)
        items = [
            AllianceLookup(
                alliance=AllianceRead.of(a, facts[a.id]),
                lead_ancestry=leads[a.lead_org_id].ancestry() if a.lead_org_id in leads else [],
                members=[
                    LookupMember.of(row, org, secretaries.get(org.id))
                    for row, org in members.get(a.id, [])
                ],
            )
            for a in alliances
        ]
        return items, [i for i in ids if i not in found]

    async def organizations_by_id(self, org_ids: list[str]) -> tuple[list[Organization], list[str]]:
        """The known organizations (any status, as GET /organizations/{id}) and the unknown."""
        ids = unique(org_ids)
        found = {o.id: o for o in await self.organizations.get_many(ids)}
        return [found[i] for i in ids if i in found], [i for i in ids if i not in found]
