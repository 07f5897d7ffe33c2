"""The registry's fixed vocabularies: stable English codes in the API, Chinese labels for display.

Kinds follow the tree of DOMAIN.md (市委 → 区/县委 → 街道党工委/乡镇党委 → 社区/村党组织 → 党总支 →
党支部 → 党小组); sectors (领域) are the fields of the seed's 全领域 party building.
"""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    CITY_COMMITTEE = "city_committee"
    DISTRICT_COMMITTEE = "district_committee"
    STREET_WORKING_COMMITTEE = "street_working_committee"
    TOWNSHIP_COMMITTEE = "township_committee"
    COMMUNITY_COMMITTEE = "community_committee"
    VILLAGE_COMMITTEE = "village_committee"
    PARTY_COMMITTEE = "party_committee"
    JOINT_COMMITTEE = "joint_committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"
    JOINT_BRANCH = "joint_branch"
    PARTY_GROUP = "party_group"


ORG_KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.CITY_COMMITTEE: "市委",
    OrgKind.DISTRICT_COMMITTEE: "区（县）委",
    OrgKind.STREET_WORKING_COMMITTEE: "街道党工委",
    OrgKind.TOWNSHIP_COMMITTEE: "乡镇党委",
    OrgKind.COMMUNITY_COMMITTEE: "社区党组织",
    OrgKind.VILLAGE_COMMITTEE: "村党组织",
    OrgKind.PARTY_COMMITTEE: "党委",
    OrgKind.JOINT_COMMITTEE: "联合党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
    OrgKind.JOINT_BRANCH: "联合党支部",
    OrgKind.PARTY_GROUP: "党小组",
}

_COMMITTEES = frozenset(
    {
        OrgKind.CITY_COMMITTEE,
        OrgKind.DISTRICT_COMMITTEE,
        OrgKind.STREET_WORKING_COMMITTEE,
        OrgKind.TOWNSHIP_COMMITTEE,
        OrgKind.COMMUNITY_COMMITTEE,
        OrgKind.VILLAGE_COMMITTEE,
        OrgKind.PARTY_COMMITTEE,
        OrgKind.JOINT_COMMITTEE,
    }
)

# Which kinds may sit directly under which. ``None`` in a set means "may be a root".
ALLOWED_PARENT_KINDS: dict[OrgKind, frozenset[OrgKind | None]] = {
    OrgKind.CITY_COMMITTEE: frozenset({None}),
    OrgKind.DISTRICT_COMMITTEE: frozenset({OrgKind.CITY_COMMITTEE}),
    OrgKind.STREET_WORKING_COMMITTEE: frozenset({OrgKind.DISTRICT_COMMITTEE}),
    OrgKind.TOWNSHIP_COMMITTEE: frozenset({OrgKind.DISTRICT_COMMITTEE}),
    OrgKind.COMMUNITY_COMMITTEE: frozenset(
        {OrgKind.STREET_WORKING_COMMITTEE, OrgKind.TOWNSHIP_COMMITTEE}
    ),
    OrgKind.VILLAGE_COMMITTEE: frozenset(
        {OrgKind.TOWNSHIP_COMMITTEE, OrgKind.STREET_WORKING_COMMITTEE}
    ),
    OrgKind.PARTY_COMMITTEE: _COMMITTEES - {OrgKind.VILLAGE_COMMITTEE},
    OrgKind.JOINT_COMMITTEE: _COMMITTEES - {OrgKind.VILLAGE_COMMITTEE},
    OrgKind.GENERAL_BRANCH: _COMMITTEES,
    OrgKind.BRANCH: _COMMITTEES | {OrgKind.GENERAL_BRANCH},
    OrgKind.JOINT_BRANCH: _COMMITTEES | {OrgKind.GENERAL_BRANCH},
    OrgKind.PARTY_GROUP: frozenset({OrgKind.BRANCH, OrgKind.JOINT_BRANCH}),
}


class Sector(StrEnum):
    VILLAGE = "village"
    COMMUNITY = "community"
    GOVERNMENT_ORGAN = "government_organ"
    PUBLIC_INSTITUTION = "public_institution"
    STATE_ENTERPRISE = "state_enterprise"
    PRIVATE_ENTERPRISE = "private_enterprise"
    SOCIAL_ORGANIZATION = "social_organization"
    INDUSTRIAL_PARK = "industrial_park"
    OFFICE_BUILDING = "office_building"
    MARKET = "market"
    ONLINE = "online"


SECTOR_LABELS: dict[Sector, str] = {
    Sector.VILLAGE: "农村",
    Sector.COMMUNITY: "城市社区",
    Sector.GOVERNMENT_ORGAN: "机关",
    Sector.PUBLIC_INSTITUTION: "事业单位",
    Sector.STATE_ENTERPRISE: "国有企业",
    Sector.PRIVATE_ENTERPRISE: "非公企业",
    Sector.SOCIAL_ORGANIZATION: "社会组织",
    Sector.INDUSTRIAL_PARK: "园区",
    Sector.OFFICE_BUILDING: "商务楼宇",
    Sector.MARKET: "商贸市场",
    Sector.ONLINE: "互联网",
}


class OrgStatus(StrEnum):
    ACTIVE = "active"
    DISSOLVED = "dissolved"


ORG_STATUS_LABELS: dict[OrgStatus, str] = {OrgStatus.ACTIVE: "正常", OrgStatus.DISSOLVED: "已撤销"}
