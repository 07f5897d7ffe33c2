"""API shapes of volunteer teams (志愿服务队), posts (志愿服务岗) and claims (认领)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from zhdj_registry.models import VolunteerClaim, VolunteerPost, VolunteerTeam
from zhdj_registry.schemas.alliances import MemberId, PersonName, Reason, Strict
from zhdj_registry.schemas.organizations import Name, OrgId
from zhdj_registry.vocabulary import (
    VOLUNTEER_POST_KIND_LABELS,
    VOLUNTEER_TEAM_STATUS_LABELS,
    VolunteerPostKind,
    VolunteerTeamStatus,
)

Description = Annotated[str, StringConstraints(max_length=2000)]


class TeamCreate(Strict):
    name: Name
    org_id: OrgId | None = Field(default=None, description="Owner organization, or...")
    alliance_id: OrgId | None = Field(default=None, description="...owner alliance (exactly one)")
    description: Description | None = None
    leader_member_id: MemberId | None = None
    leader_name: PersonName | None = None

    @model_validator(mode="after")
    def _one_owner(self) -> TeamCreate:
        if (self.org_id is None) == (self.alliance_id is None):
            raise ValueError("a team belongs to exactly one organization or one alliance")
        if (self.leader_member_id is None) != (self.leader_name is None):
            raise ValueError("give both leader_member_id and leader_name, or neither")
        return self


class TeamUpdate(Strict):
    name: Name | None = None
    description: Description | None = None
    status: VolunteerTeamStatus | None = None
    leader_member_id: MemberId | None = Field(
        default=None, description="A new leader (a current member); null with leader_name: none"
    )
    leader_name: PersonName | None = None

    @model_validator(mode="after")
    def _whole_leader(self) -> TeamUpdate:
        given = self.model_fields_set & {"leader_member_id", "leader_name"}
        if given and (
            len(given) == 1 or (self.leader_member_id is None) != (self.leader_name is None)
        ):
            raise ValueError("change leader_member_id and leader_name together, or neither")
        return self


class PostCreate(Strict):
    kind: VolunteerPostKind
    name: Name
    capacity: int = Field(ge=1, le=10_000, description="How many members may hold it at once")
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None


class ClaimCreate(Strict):
    member_id: MemberId
    person_name: PersonName


class ClaimRelease(Strict):
    reason: Reason | None = None


class PostRead(BaseModel):
    id: str
    team_id: str
    kind: VolunteerPostKind
    kind_label: str
    name: str
    capacity: int
    claimed: int = Field(description="Active claims")
    available: int
    description: str | None
    status: str

    @classmethod
    def of(cls, post: VolunteerPost, claimed: int) -> PostRead:
        kind = VolunteerPostKind(post.kind)
        return cls(
            id=post.id,
            team_id=post.team_id,
            kind=kind,
            kind_label=VOLUNTEER_POST_KIND_LABELS[kind],
            name=post.name,
            capacity=post.capacity,
            claimed=claimed,
            available=max(post.capacity - claimed, 0),
            description=post.description,
            status=post.status,
        )


class TeamRead(BaseModel):
    id: str
    name: str
    org_id: str | None
    alliance_id: str | None
    home_org_id: str = Field(description="The owner organization, or the alliance's lead")
    description: str | None
    leader_member_id: str | None
    leader_name: str | None
    status: VolunteerTeamStatus
    status_label: str
    posts: list[PostRead]
    post_kinds: list[VolunteerPostKind] = Field(description="Kinds of its active posts")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, team: VolunteerTeam, posts: list[PostRead]) -> TeamRead:
        status = VolunteerTeamStatus(team.status)
        kinds = sorted({p.kind for p in posts if p.status == "active"})
        return cls(
            id=team.id,
            name=team.name,
            org_id=team.org_id,
            alliance_id=team.alliance_id,
            home_org_id=team.home_org_id,
            description=team.description,
            leader_member_id=team.leader_member_id,
            leader_name=team.leader_name,
            status=status,
            status_label=VOLUNTEER_TEAM_STATUS_LABELS[status],
            posts=posts,
            post_kinds=kinds,
            created_at=team.created_at,
            updated_at=team.updated_at,
        )


class ClaimRead(BaseModel):
    id: str
    post_id: str
    team_id: str
    member_id: str
    person_name: str
    claimed_at: datetime
    released_at: datetime | None
    release_reason: str | None
    active: bool

    @classmethod
    def of(cls, claim: VolunteerClaim) -> ClaimRead:
        return cls(
            id=claim.id,
            post_id=claim.post_id,
            team_id=claim.team_id,
            member_id=claim.member_id,
            person_name=claim.person_name,
            claimed_at=claim.claimed_at,
            released_at=claim.released_at,
            release_reason=claim.release_reason,
            active=claim.released_at is None,
        )
