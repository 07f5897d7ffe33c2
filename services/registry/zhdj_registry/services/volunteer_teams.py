"""Rules of volunteer teams, posts and claims.

A team's managers are the staff of its home organization (the owner organization, or the owning
alliance's lead) and above. They keep the team and its posts and record claims for any member;
a party member whose platform account is linked to their member record (``Member.user_id``)
claims and releases for themselves. A post never holds more active claims than its capacity, and
a member holds a post at most once at a time (409 either way).
"""

from __future__ import annotations

from dataclasses import replace

from zhdj_registry.models import Organization, VolunteerClaim, VolunteerPost, VolunteerTeam
from zhdj_registry.repositories.volunteer_teams import TeamFilters, VolunteerTeamRepository
from zhdj_registry.schemas.volunteer_teams import (
    ClaimCreate,
    ClaimRelease,
    PostCreate,
    PostRead,
    TeamCreate,
    TeamUpdate,
)
from zhdj_registry.services.alliance_access import acts_for_org
from zhdj_registry.services.alliances import AllianceService, require_open
from zhdj_registry.services.members_check import MemberCheck
from zhdj_registry.vocabulary import VolunteerTeamStatus
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role
from zhdj_shared.text import pinyin_key


class VolunteerTeamService:
    def __init__(
        self,
        repository: VolunteerTeamRepository,
        alliances: AllianceService,
        members: MemberCheck,
    ) -> None:
        self.repository = repository
        self.alliances = alliances
        self.members = members

    async def get(self, team_id: str) -> VolunteerTeam:
        team = await self.repository.get(team_id)
        if team is None:
            raise NotFound(f"volunteer team {team_id} does not exist")
        return team

    async def post_reads(self, teams: list[VolunteerTeam]) -> dict[str, list[PostRead]]:
        posts = await self.repository.posts_of([t.id for t in teams])
        counts = await self.repository.claimed_counts([p.id for p in posts])
        reads: dict[str, list[PostRead]] = {t.id: [] for t in teams}
        for post in posts:
            reads[post.team_id].append(PostRead.of(post, counts.get(post.id, 0)))
        return reads

    async def list_page(
        self, filters: TeamFilters, within: str | None, page: PageParams
    ) -> tuple[list[VolunteerTeam], str | None]:
        if within is not None:
            filters = replace(filters, within_path=await self.alliances.within_path(within))
        return await self.repository.list_page(filters, limit=page.limit, cursor=page.cursor)

    async def create(self, principal: Principal, data: TeamCreate) -> VolunteerTeam:
        home = await self._owner_home(data)
        if not acts_for_org(principal, home):
            raise Forbidden(
                "you do not act for the team's organization or any organization above it"
            )
        if data.leader_member_id is not None:
            await self.members.require(data.leader_member_id, "leader_member_id")
        key = pinyin_key(data.name)
        team = VolunteerTeam(
            **data.model_dump(),
            home_org_id=home.id,
            name_pinyin=key.full,
            name_initials=key.initials,
        )
        self.repository.add(team)
        await self.repository.session.flush()
        return team

    async def _owner_home(self, data: TeamCreate) -> Organization:
        if data.org_id is not None:
            return await self.alliances.active_org(data.org_id, "org_id")
        assert data.alliance_id is not None
        alliance = await self.alliances.repository.get(data.alliance_id)
        if alliance is None:
            raise Unprocessable(
                "the alliance does not exist",
                errors=[FieldError(field="alliance_id", message="unknown alliance")],
            )
        require_open(alliance)
        lead = await self.alliances.repository.organization(alliance.lead_org_id)
        assert lead is not None
        return lead

    async def _managed(self, principal: Principal, team_id: str) -> VolunteerTeam:
        team = await self.get(team_id)
        if not await self._manages(principal, team):
            raise Forbidden("you do not manage this volunteer team")
        return team

    async def _manages(self, principal: Principal, team: VolunteerTeam) -> bool:
        home = await self.alliances.repository.organization(team.home_org_id)
        return home is not None and acts_for_org(principal, home)

    async def update(self, principal: Principal, team_id: str, data: TeamUpdate) -> VolunteerTeam:
        team = await self._managed(principal, team_id)
        changes = data.model_dump(exclude_unset=True)
        for field in ("name", "status"):
            if field in changes and changes[field] is None:
                raise Unprocessable(
                    f"{field} cannot be removed",
                    errors=[FieldError(field=field, message="cannot be null")],
                )
        if data.leader_member_id is not None:
            await self.members.require(data.leader_member_id, "leader_member_id")
        if data.name is not None:
            key = pinyin_key(data.name)
            team.name_pinyin, team.name_initials = key.full, key.initials
        if data.status is not None:
            changes["status"] = data.status.value
        for field, value in changes.items():
            setattr(team, field, value)
        team.updated_at = utcnow()
        await self.repository.session.flush()
        return team

    # --- posts ---------------------------------------------------------------------------------

    async def add_post(self, principal: Principal, team_id: str, data: PostCreate) -> VolunteerPost:
        team = await self._managed(principal, team_id)
        _require_active(team)
        post = VolunteerPost(team_id=team.id, **data.model_dump(exclude={"kind"}))
        post.kind = data.kind.value
        self.repository.add(post)
        await self.repository.session.flush()
        return post

    async def post(self, team_id: str, post_id: str) -> VolunteerPost:
        post = await self.repository.post(team_id, post_id)
        if post is None:
            raise NotFound(f"post {post_id} does not exist in this team")
        return post

    async def post_read(self, team_id: str, post_id: str) -> PostRead:
        post = await self.post(team_id, post_id)
        counts = await self.repository.claimed_counts([post.id])
        return PostRead.of(post, counts.get(post.id, 0))

    # --- claims (认领) --------------------------------------------------------------------------

    async def claim(
        self, principal: Principal, team_id: str, post_id: str, data: ClaimCreate
    ) -> VolunteerClaim:
        team = await self.get(team_id)
        if not await self._manages(principal, team) and not await self._is_self(
            principal, data.member_id
        ):
            raise Forbidden("claims are recorded by the team's managers or by the member")
        _require_active(team)
        post = await self.repository.post(team_id, post_id, for_update=True)
        if post is None or post.status != "active":
            raise NotFound(f"post {post_id} does not exist in this team or is closed")
        await self.members.require(data.member_id, "member_id")
        if await self.repository.active_claim(post.id, data.member_id):
            raise Conflict(f"{data.person_name} already holds this post")
        claimed = (await self.repository.claimed_counts([post.id])).get(post.id, 0)
        if claimed >= post.capacity:
            raise Conflict(f"the post is full ({claimed} of {post.capacity} claimed)")
        claim = VolunteerClaim(post_id=post.id, team_id=team.id, **data.model_dump())
        self.repository.add(claim)
        await self.repository.session.flush()
        return claim

    async def release(
        self,
        principal: Principal,
        team_id: str,
        post_id: str,
        claim_id: str,
        data: ClaimRelease,
    ) -> VolunteerClaim:
        team = await self.get(team_id)
        post = await self.post(team_id, post_id)
        claim = await self.repository.claim(post.id, claim_id)
        if claim is None:
            raise NotFound(f"claim {claim_id} does not exist on this post")
        if not await self._manages(principal, team) and not await self._is_self(
            principal, claim.member_id
        ):
            raise Forbidden("a claim is released by the team's managers or by the member")
        if claim.released_at is not None:
            raise Conflict("the claim has already been released")
        claim.released_at, claim.release_reason = utcnow(), data.reason
        await self.repository.session.flush()
        return claim

    async def claims(
        self, team_id: str, post_id: str, *, active_only: bool
    ) -> list[VolunteerClaim]:
        post = await self.post(team_id, post_id)
        return await self.repository.claims(post.id, active_only=active_only)

    async def _is_self(self, principal: Principal, member_id: str) -> bool:
        # Only a person's own token: a client's subject is a client id, never a member's user.
        if principal.kind != "user" or Role.MEMBER not in principal.roles:
            return False
        return await self.members.member_of_user(principal.subject) == member_id


def _require_active(team: VolunteerTeam) -> None:
    if team.status != VolunteerTeamStatus.ACTIVE.value:
        raise Conflict("the volunteer team has been disbanded")
