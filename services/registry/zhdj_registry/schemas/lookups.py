"""API shapes of the batch reads (``/api/registry/lookups/...``, ``/statistics/batch``).

What other services need about many alliances or organizations in one call; each item is what
the single-resource read gives (``AllianceRead``, ``OrganizationRead``, ``RegistryStatistics``)
plus, for alliances, the lead's ancestry and the member organizations with their secretaries.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhdj_registry.models import AllianceMember, Member, Organization, Position
from zhdj_registry.schemas.alliances import AllianceRead
from zhdj_registry.schemas.organizations import OrganizationRead
from zhdj_registry.schemas.statistics import RegistryStatistics
from zhdj_registry.vocabulary import ORG_KIND_LABELS, OrgKind
from zhdj_shared.batch import BatchIds


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AllianceLookupRequest(BatchBody):
    ids: BatchIds
    on: date | None = Field(
        default=None, description="Members and secretaries on this date; default today (China)"
    )


class Secretary(BaseModel):
    member_id: str
    name: str


class LookupMember(BaseModel):
    """A member organization on ``on`` and its secretary (书记) that day, if one is appointed."""

    org_id: str
    org_name: str
    org_kind: OrgKind
    org_kind_label: str
    joined_on: date
    secretary: Secretary | None

    @classmethod
    def of(
        cls, row: AllianceMember, org: Organization, secretary: tuple[Position, Member] | None
    ) -> LookupMember:
        kind = OrgKind(org.kind)
        return cls(
            org_id=org.id,
            org_name=org.name,
            org_kind=kind,
            org_kind_label=ORG_KIND_LABELS[kind],
            joined_on=row.joined_on,
            secretary=Secretary(member_id=secretary[1].id, name=secretary[1].name)
            if secretary
            else None,
        )


class AllianceLookup(BaseModel):
    alliance: AllianceRead = Field(description="As GET /alliances/{id} gives it")
    lead_ancestry: list[str] = Field(description="Ids from the root down to the lead itself")
    members: list[LookupMember] = Field(description="In the order of GET /alliances/{id}/members")


class AllianceLookups(BaseModel):
    on: date
    items: list[AllianceLookup] = Field(description="Known alliances, in the order asked")
    missing: list[str] = Field(description="Ids the registry does not know")


class OrganizationLookupRequest(BatchBody):
    ids: BatchIds


class OrganizationLookups(BaseModel):
    items: list[OrganizationRead] = Field(description="As GET /organizations/{id} gives them")
    missing: list[str]


class StatisticsBatchRequest(BatchBody):
    within: BatchIds = Field(description="Organizations (subtrees); at most 200")
    on: date | None = Field(default=None, description="The date (Asia/Shanghai); default today")


class StatisticsBatch(BaseModel):
    on: date
    items: list[RegistryStatistics] = Field(
        description="As GET /statistics?within=&on= gives them, in the order asked"
    )
    missing: list[str]
