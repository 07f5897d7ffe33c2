"""Rules of alliances: creation, details, status, designations, members and chains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from zhdj_registry.models import (
    Alliance,
    AllianceChain,
    AllianceChainMember,
    AllianceDesignation,
    AllianceMember,
    AllianceStatusChange,
    Organization,
)
from zhdj_registry.repositories.alliances import AllianceFilters, AllianceRepository
from zhdj_registry.schemas.alliances import (
    AllianceCreate,
    AllianceFacts,
    AllianceStatusUpdate,
    AllianceUpdate,
    ChainCreate,
    DesignationCreate,
    LeadHandover,
    MemberAdd,
    MemberLeave,
)
from zhdj_registry.services.alliance_access import (
    AllianceAccess,
    acts_for_org,
    alliance_access,
    get_alliance,
    is_superior,
    today,
)
from zhdj_registry.vocabulary import ALLIANCE_STATUS_LABELS, AllianceStatus, OrgStatus
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.text import pinyin_key


def unknown_org(field: str) -> Unprocessable:
    return Unprocessable(
        "the organization does not exist or has been dissolved",
        errors=[FieldError(field=field, message="unknown organization")],
    )


def not_a_member(field: str) -> Unprocessable:
    return Unprocessable(
        "the organization is not a member of the alliance for that time",
        errors=[FieldError(field=field, message="not a member of the alliance")],
    )


def require_open(alliance: Alliance) -> None:
    if alliance.status == AllianceStatus.DISSOLVED.value:
        raise Conflict("the alliance has been dissolved")


def memberships_overlap(rows: Sequence[AllianceMember], start: date, end: date | None) -> bool:
    """Would a membership ``start``..``end`` (end exclusive, None open) overlap any of ``rows``?"""
    for row in rows:
        if (end is None or row.joined_on < end) and (row.left_on is None or start < row.left_on):
            return True
    return False


def covering_membership(
    rows: Sequence[AllianceMember], start: date, last_day: date
) -> AllianceMember | None:
    """The membership in force on every day of ``start``..``last_day`` (inclusive), if any."""
    for row in rows:
        if row.joined_on <= start and (row.left_on is None or last_day < row.left_on):
            return row
    return None


class AllianceService:
    def __init__(self, repository: AllianceRepository) -> None:
        self.repository = repository

    async def get(self, alliance_id: str) -> Alliance:
        return await get_alliance(self.repository, alliance_id)

    async def access(
        self, principal: Principal, alliance_id: str, *, for_update: bool = False
    ) -> AllianceAccess:
        return await alliance_access(self.repository, principal, alliance_id, for_update=for_update)

    async def active_org(self, org_id: str, field: str) -> Organization:
        org = await self.repository.organization(org_id)
        if org is None or org.status != OrgStatus.ACTIVE.value:
            raise unknown_org(field)
        return org

    async def facts(self, alliances: Sequence[Alliance]) -> dict[str, AllianceFacts]:
        ids = [a.id for a in alliances]
        on = today()
        sectors = await self.repository.sectors_of(ids, on)
        counts = await self.repository.member_counts(ids, on)
        years = await self.repository.designation_years(ids)
        return {
            i: AllianceFacts(
                sectors=sectors.get(i, []),
                member_count=counts.get(i, 0),
                demonstration_years=years.get(i, []),
            )
            for i in ids
        }

    async def within_path(self, within: str | None) -> str | None:
        """The path of a ``within`` organization (subtree filters of every alliance-side list)."""
        if within is None:
            return None
        root = await self.repository.organization(within)
        if root is None:
            raise NotFound(f"organization {within} does not exist")
        return root.path

    async def list_page(
        self, filters: AllianceFilters, within: str | None, page: PageParams
    ) -> tuple[list[Alliance], str | None]:
        if within is not None:
            filters = replace(filters, within_path=await self.within_path(within))
        return await self.repository.list_page(filters, limit=page.limit, cursor=page.cursor)

    # --- alliance ------------------------------------------------------------------------------

    async def create(self, principal: Principal, data: AllianceCreate) -> Alliance:
        lead = await self.active_org(data.lead_org_id, "lead_org_id")
        if not acts_for_org(principal, lead):
            raise Forbidden("you do not act for the lead organization or any organization above it")
        if await self.repository.named(lead.id, data.name):
            raise Conflict(f"the lead organization already has an alliance named {data.name}")
        others = [i for i in dict.fromkeys(data.member_org_ids) if i != lead.id]
        for index, org_id in enumerate(others):
            await self.active_org(org_id, f"member_org_ids.{index}")
        key = pinyin_key(data.name)
        alliance = Alliance(
            name=data.name,
            name_pinyin=key.full,
            name_initials=key.initials,
            pattern=data.pattern.value,
            lead_org_id=lead.id,
            area_code=data.area_code or lead.area_code,
            area_name=data.area_name,
            founded_on=data.founded_on,
            description=data.description,
            created_by=principal.subject,
        )
        self.repository.add(alliance)
        await self.repository.session.flush()
        for org_id in [lead.id, *others]:
            self.repository.add(
                AllianceMember(alliance_id=alliance.id, org_id=org_id, joined_on=data.founded_on)
            )
        await self.repository.session.flush()
        return alliance

    async def update(
        self, principal: Principal, alliance_id: str, data: AllianceUpdate
    ) -> Alliance:
        access = await self.access(principal, alliance_id)
        access.require_manager()
        alliance = access.alliance
        require_open(alliance)
        changes = data.model_dump(exclude_unset=True)
        if "name" in changes and changes["name"] != alliance.name:
            if await self.repository.named(alliance.lead_org_id, changes["name"]):
                raise Conflict(f"the lead organization already has an alliance named {data.name}")
            key = pinyin_key(changes["name"])
            alliance.name_pinyin, alliance.name_initials = key.full, key.initials
        if "pattern" in changes:
            changes["pattern"] = data.pattern.value if data.pattern else alliance.pattern
        for field, value in changes.items():
            setattr(alliance, field, value)
        alliance.updated_at = utcnow()
        await self.repository.session.flush()
        return alliance

    async def hand_over_lead(
        self, principal: Principal, alliance_id: str, data: LeadHandover
    ) -> Alliance:
        """Make a current member organization the lead (牵头), so that the old lead may then
        leave like any member. The managers change with it: from now on they are the new
        lead's staff (and above), and so are the managers of the alliance's volunteer teams."""
        access = await self.access(principal, alliance_id, for_update=True)
        access.require_manager()
        alliance = access.alliance
        require_open(alliance)
        lead = await self.active_org(data.org_id, "org_id")
        if lead.id == alliance.lead_org_id:
            raise Conflict(f"{lead.name} already leads the alliance")
        rows = await self.repository.memberships_of(alliance.id, lead.id)
        # A lead stays a member for as long as it leads: a membership with a leaving day
        # already set (even a later one) would end under it.
        if not any(r.joined_on <= today() and r.left_on is None for r in rows):
            raise Conflict(
                f"{lead.name} is not a current member of the alliance (or its leaving is "
                "recorded); add it as a member first",
                errors=[FieldError(field="org_id", message="not a current member")],
            )
        if await self.repository.named(lead.id, alliance.name):
            raise Conflict(f"{lead.name} already leads a live alliance named {alliance.name}")
        alliance.lead_org_id = lead.id
        alliance.updated_at = utcnow()
        await self.repository.rehome_teams(alliance.id, lead.id)
        await self.repository.session.flush()
        return alliance

    async def change_status(
        self, principal: Principal, alliance_id: str, data: AllianceStatusUpdate
    ) -> Alliance:
        access = await self.access(principal, alliance_id, for_update=True)
        alliance = access.alliance
        current, target = AllianceStatus(alliance.status), data.status
        _check_transition(access, current, target)
        now = utcnow()
        self.repository.add(
            AllianceStatusChange(
                alliance_id=alliance.id,
                from_status=current.value,
                to_status=target.value,
                reason=data.reason,
                changed_by=principal.subject,
                changed_at=now,
            )
        )
        alliance.status, alliance.status_reason = target.value, data.reason
        alliance.status_changed_at = alliance.updated_at = now
        await self.repository.session.flush()
        return alliance

    async def status_history(self, alliance_id: str) -> list[AllianceStatusChange]:
        await self.get(alliance_id)
        return await self.repository.status_changes(alliance_id)

    # --- designations (精品示范点) ---------------------------------------------------------------

    async def designate(
        self, principal: Principal, alliance_id: str, data: DesignationCreate
    ) -> AllianceDesignation:
        if not is_superior(principal):
            raise Forbidden("demonstration sites are designated by the platform administrator")
        alliance = await self.get(alliance_id)
        require_open(alliance)
        if await self.repository.designation(alliance.id, data.year):
            raise Conflict(f"the alliance is already a demonstration site for {data.year}")
        row = AllianceDesignation(
            alliance_id=alliance.id,
            year=data.year,
            title=data.title,
            designated_on=data.designated_on,
            designated_by=principal.subject,
        )
        self.repository.add(row)
        await self.repository.session.flush()
        return row

    async def revoke_designation(self, principal: Principal, alliance_id: str, year: int) -> None:
        if not is_superior(principal):
            raise Forbidden("demonstration sites are revoked by the platform administrator")
        row = await self.repository.designation(alliance_id, year)
        if row is None:
            raise NotFound(f"the alliance is not a demonstration site for {year}")
        await self.repository.delete(row)
        await self.repository.session.flush()

    async def designations_by_year(
        self, year: int | None, within: str | None
    ) -> list[tuple[AllianceDesignation, Alliance]]:
        return await self.repository.designations_by_year(year, await self.within_path(within))

    # --- members -------------------------------------------------------------------------------

    async def add_member(
        self, principal: Principal, alliance_id: str, data: MemberAdd
    ) -> tuple[AllianceMember, Organization]:
        access = await self.access(principal, alliance_id, for_update=True)
        access.require_manager()
        require_open(access.alliance)
        org = await self.active_org(data.org_id, "org_id")
        joined_on = data.joined_on or today()
        rows = await self.repository.memberships_of(alliance_id, org.id)
        if memberships_overlap(rows, joined_on, None):
            raise Conflict(f"{org.name} is already a member of the alliance at that time")
        row = AllianceMember(alliance_id=alliance_id, org_id=org.id, joined_on=joined_on)
        self.repository.add(row)
        await self.repository.session.flush()
        return row, org

    async def leave(
        self, principal: Principal, alliance_id: str, membership_id: str, data: MemberLeave
    ) -> tuple[AllianceMember, Organization]:
        access = await self.access(principal, alliance_id, for_update=True)
        access.require_manager()
        row = await self.repository.membership(alliance_id, membership_id)
        if row is None:
            raise NotFound(f"membership {membership_id} does not exist in this alliance")
        if row.left_on is not None:
            raise Conflict("the organization has already left")
        left_on = data.left_on or today()
        if left_on <= row.joined_on:
            raise Unprocessable(
                "an organization leaves after the day it joined",
                errors=[FieldError(field="left_on", message="not after joined_on")],
            )
        if row.org_id == access.alliance.lead_org_id:
            raise Conflict(
                "the lead organization cannot leave its alliance; hand the lead to another "
                "member first (POST /alliances/{id}/lead), or dissolve the alliance"
            )
        await self._check_no_later_convening(alliance_id, row.org_id, left_on)
        row.left_on, row.leave_reason = left_on, data.reason
        for chain_row in await self.repository.chain_memberships_of(alliance_id, row.org_id):
            await self.repository.delete(chain_row)
        await self.repository.session.flush()
        org = await self.repository.organization(row.org_id)
        assert org is not None
        return row, org

    async def _check_no_later_convening(self, alliance_id: str, org_id: str, left_on: date) -> None:
        periods = await self.repository.convener_periods(alliance_id, start=left_on)
        if any(p.org_id == org_id for p in periods):
            raise Conflict(
                "the organization convenes the alliance on or after that day; "
                "reschedule those convener periods first"
            )

    async def members_page(
        self, alliance_id: str, on: date | None, page: PageParams
    ) -> tuple[list[tuple[AllianceMember, Organization]], str | None]:
        await self.get(alliance_id)
        return await self.repository.members_page(
            alliance_id, on, limit=page.limit, cursor=page.cursor
        )

    async def require_member(
        self, alliance_id: str, org_id: str, field: str, start: date, last_day: date | None = None
    ) -> Organization:
        """The organization, when it is a member on every day of ``start``..``last_day``."""
        org = await self.active_org(org_id, field)
        rows = await self.repository.memberships_of(alliance_id, org.id)
        if covering_membership(rows, start, last_day or start) is None:
            raise not_a_member(field)
        return org

    # --- chains --------------------------------------------------------------------------------

    async def chains(
        self, alliance_id: str
    ) -> list[tuple[AllianceChain, Organization | None, list[Organization]]]:
        await self.get(alliance_id)
        chains = await self.repository.chains(alliance_id)
        links = await self.repository.chain_members(alliance_id)
        ids = [c.lead_org_id for c in chains if c.lead_org_id] + [m.org_id for m in links]
        orgs = await self.repository.organizations(ids)
        members: dict[str, list[Organization]] = {c.id: [] for c in chains}
        for link in links:
            members[link.chain_id].append(orgs[link.org_id])
        return [
            (c, orgs.get(c.lead_org_id) if c.lead_org_id else None, members[c.id]) for c in chains
        ]

    async def create_chain(
        self, principal: Principal, alliance_id: str, data: ChainCreate
    ) -> AllianceChain:
        access = await self.access(principal, alliance_id, for_update=True)
        access.require_manager()
        require_open(access.alliance)
        if await self.repository.chain_named(alliance_id, data.name):
            raise Conflict(f"the alliance already has a chain named {data.name}")
        if data.lead_org_id is not None:
            await self.active_org(data.lead_org_id, "lead_org_id")
        member_ids = list(dict.fromkeys(data.member_org_ids))
        for index, org_id in enumerate(member_ids):
            await self.require_member(alliance_id, org_id, f"member_org_ids.{index}", today())
        chain = AllianceChain(
            alliance_id=alliance_id,
            name=data.name,
            kind=data.kind.value,
            lead_org_id=data.lead_org_id,
            description=data.description,
        )
        self.repository.add(chain)
        await self.repository.session.flush()
        for org_id in member_ids:
            self.repository.add(
                AllianceChainMember(chain_id=chain.id, alliance_id=alliance_id, org_id=org_id)
            )
        await self.repository.session.flush()
        return chain

    async def add_chain_member(
        self, principal: Principal, alliance_id: str, chain_id: str, org_id: str
    ) -> None:
        access = await self.access(principal, alliance_id, for_update=True)
        access.require_manager()
        require_open(access.alliance)
        chain = await self._chain(alliance_id, chain_id)
        await self.require_member(alliance_id, org_id, "org_id", today())
        if await self.repository.chain_member(chain.id, org_id):
            raise Conflict("the organization is already in this chain")
        self.repository.add(
            AllianceChainMember(chain_id=chain.id, alliance_id=alliance_id, org_id=org_id)
        )
        await self.repository.session.flush()

    async def remove_chain_member(
        self, principal: Principal, alliance_id: str, chain_id: str, org_id: str
    ) -> None:
        access = await self.access(principal, alliance_id)
        access.require_manager()
        chain = await self._chain(alliance_id, chain_id)
        link = await self.repository.chain_member(chain.id, org_id)
        if link is None:
            raise NotFound("the organization is not in this chain")
        await self.repository.delete(link)
        await self.repository.session.flush()

    async def _chain(self, alliance_id: str, chain_id: str) -> AllianceChain:
        chain = await self.repository.chain(alliance_id, chain_id)
        if chain is None:
            raise NotFound(f"chain {chain_id} does not exist in this alliance")
        return chain


def _check_transition(
    access: AllianceAccess, current: AllianceStatus, target: AllianceStatus
) -> None:
    """Rectification is a superior's decision; dissolution the managers' (or a superior's)."""
    if current == AllianceStatus.DISSOLVED:
        raise Conflict("a dissolved alliance cannot change its status")
    if current == target:
        raise Conflict(f"the alliance is already {ALLIANCE_STATUS_LABELS[target]}")
    if target == AllianceStatus.DISSOLVED:
        if not (access.manager or is_superior(access.principal)):
            raise Forbidden("only the alliance's managers may dissolve it")
        return
    if not is_superior(access.principal):
        raise Forbidden(
            "rectification is set and lifted by the platform administrator or the assessment "
            "service"
        )
