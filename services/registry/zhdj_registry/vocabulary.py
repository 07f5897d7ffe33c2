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


# --- Alliances (党建联合体), venues and volunteer teams ------------------------------------------


class AlliancePattern(StrEnum):
    """The alliance patterns the seed names (构建...多种形式的党建链和党建联合体)."""

    STRONG_HELPS_WEAK = "strong_helps_weak"
    STRONG_WITH_STRONG = "strong_with_strong"
    VILLAGE_VILLAGE = "village_village"
    VILLAGE_ENTERPRISE_ORGAN = "village_enterprise_organ"
    VILLAGE_SCHOOL_ENTERPRISE = "village_school_enterprise"
    VILLAGE_ENTERPRISE_PARK = "village_enterprise_park"
    JOINT_BUILD_JOINT_MANAGE = "joint_build_joint_manage"
    CENTRAL_COMMUNITY = "central_community"
    SMART_ONLINE = "smart_online"
    RED_COMMERCIAL_STREET = "red_commercial_street"
    LEADING_ENTERPRISE = "leading_enterprise"
    CONTIGUOUS_AREA = "contiguous_area"
    CLUSTER_TOGETHER = "cluster_together"
    INDUSTRY_CLUSTER = "industry_cluster"
    INDUSTRY_LED = "industry_led"
    PROJECT_DRIVEN = "project_driven"
    AREA_JOINT = "area_joint"
    INDUSTRY_CO_BUILDING = "industry_co_building"


ALLIANCE_PATTERN_LABELS: dict[AlliancePattern, str] = {
    AlliancePattern.STRONG_HELPS_WEAK: "以强带弱",
    AlliancePattern.STRONG_WITH_STRONG: "强强联合",
    AlliancePattern.VILLAGE_VILLAGE: "村村联建",
    AlliancePattern.VILLAGE_ENTERPRISE_ORGAN: "村企机关联建",
    AlliancePattern.VILLAGE_SCHOOL_ENTERPRISE: "村校企联建",
    AlliancePattern.VILLAGE_ENTERPRISE_PARK: "村企园区联建",
    AlliancePattern.JOINT_BUILD_JOINT_MANAGE: "联建共管",
    AlliancePattern.CENTRAL_COMMUNITY: "中心社区以强带弱",
    AlliancePattern.SMART_ONLINE: "智慧党建线上融合",
    AlliancePattern.RED_COMMERCIAL_STREET: "红色商街",
    AlliancePattern.LEADING_ENTERPRISE: "龙头带建",
    AlliancePattern.CONTIGUOUS_AREA: "连片同建",
    AlliancePattern.CLUSTER_TOGETHER: "抱团共建",
    AlliancePattern.INDUSTRY_CLUSTER: "集群合建",
    AlliancePattern.INDUSTRY_LED: "行业领建",
    AlliancePattern.PROJECT_DRIVEN: "项目促建",
    AlliancePattern.AREA_JOINT: "片区党组织联建",
    AlliancePattern.INDUSTRY_CO_BUILDING: "行业共建",
}


class AllianceStatus(StrEnum):
    ACTIVE = "active"
    UNDER_RECTIFICATION = "under_rectification"
    DISSOLVED = "dissolved"


ALLIANCE_STATUS_LABELS: dict[AllianceStatus, str] = {
    AllianceStatus.ACTIVE: "正常运行",
    AllianceStatus.UNDER_RECTIFICATION: "整顿中",
    AllianceStatus.DISSOLVED: "已撤销",
}


class ChainKind(StrEnum):
    """The park example's four chains (each a general branch), and anything else."""

    BUSINESS = "business"
    COORDINATION = "coordination"
    MUTUAL_PROMOTION = "mutual_promotion"
    DIRECT = "direct"
    OTHER = "other"


CHAIN_KIND_LABELS: dict[ChainKind, str] = {
    ChainKind.BUSINESS: "业务链",
    ChainKind.COORDINATION: "协调链",
    ChainKind.MUTUAL_PROMOTION: "互促链",
    ChainKind.DIRECT: "直属链",
    ChainKind.OTHER: "其他",
}


class AllianceRole(StrEnum):
    """Roles in an alliance's leadership team (班子), held on behalf of a home organization."""

    CONVENER = "convener"
    DEPUTY_CONVENER = "deputy_convener"
    SECRETARY = "secretary"
    DEPUTY_SECRETARY = "deputy_secretary"
    COMMITTEE_MEMBER = "committee_member"
    LIAISON = "liaison"
    FULL_TIME_WORKER = "full_time_worker"


ALLIANCE_ROLE_LABELS: dict[AllianceRole, str] = {
    AllianceRole.CONVENER: "召集人",
    AllianceRole.DEPUTY_CONVENER: "副召集人",
    AllianceRole.SECRETARY: "书记",
    AllianceRole.DEPUTY_SECRETARY: "副书记",
    AllianceRole.COMMITTEE_MEMBER: "委员",
    AllianceRole.LIAISON: "联络员",
    AllianceRole.FULL_TIME_WORKER: "专职党务工作者",
}


class FundSource(StrEnum):
    """上级拨、各方筹、党费补: the three sources of an alliance's party-building funds."""

    ALLOCATED = "allocated"
    RAISED = "raised"
    DUES_SUBSIDY = "dues_subsidy"


FUND_SOURCE_LABELS: dict[FundSource, str] = {
    FundSource.ALLOCATED: "上级拨",
    FundSource.RAISED: "各方筹",
    FundSource.DUES_SUBSIDY: "党费补",
}


class FundEntryKind(StrEnum):
    INCOME = "income"
    EXPENSE = "expense"


FUND_ENTRY_KIND_LABELS: dict[FundEntryKind, str] = {
    FundEntryKind.INCOME: "收入",
    FundEntryKind.EXPENSE: "支出",
}


class StaffEngagement(StrEnum):
    """How a full-time party-affairs worker came: 交叉任职 or 社会选聘."""

    CROSS_APPOINTED = "cross_appointed"
    HIRED = "hired"


STAFF_ENGAGEMENT_LABELS: dict[StaffEngagement, str] = {
    StaffEngagement.CROSS_APPOINTED: "交叉任职",
    StaffEngagement.HIRED: "社会选聘",
}


class SupplyDemandKind(StrEnum):
    SUPPLY = "supply"
    DEMAND = "demand"


SUPPLY_DEMAND_KIND_LABELS: dict[SupplyDemandKind, str] = {
    SupplyDemandKind.SUPPLY: "资源供给",
    SupplyDemandKind.DEMAND: "需求",
}


class SupplyDemandCategory(StrEnum):
    FUNDS = "funds"
    TALENT = "talent"
    TECHNOLOGY = "technology"
    VENUE = "venue"
    TRAINING = "training"
    MARKET = "market"
    POLICY = "policy"
    SERVICE = "service"
    OTHER = "other"


SUPPLY_DEMAND_CATEGORY_LABELS: dict[SupplyDemandCategory, str] = {
    SupplyDemandCategory.FUNDS: "资金",
    SupplyDemandCategory.TALENT: "人才",
    SupplyDemandCategory.TECHNOLOGY: "技术",
    SupplyDemandCategory.VENUE: "场地",
    SupplyDemandCategory.TRAINING: "培训",
    SupplyDemandCategory.MARKET: "市场销售",
    SupplyDemandCategory.POLICY: "政策咨询",
    SupplyDemandCategory.SERVICE: "志愿服务",
    SupplyDemandCategory.OTHER: "其他",
}


class SupplyDemandStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"


SUPPLY_DEMAND_STATUS_LABELS: dict[SupplyDemandStatus, str] = {
    SupplyDemandStatus.OPEN: "待对接",
    SupplyDemandStatus.MATCHED: "已对接",
    SupplyDemandStatus.FULFILLED: "已完成",
    SupplyDemandStatus.WITHDRAWN: "已撤回",
}


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


PROJECT_STATUS_LABELS: dict[ProjectStatus, str] = {
    ProjectStatus.PLANNED: "计划中",
    ProjectStatus.IN_PROGRESS: "推进中",
    ProjectStatus.COMPLETED: "已完成",
    ProjectStatus.SUSPENDED: "暂停",
    ProjectStatus.CANCELLED: "已取消",
}


class AgreementKind(StrEnum):
    AGREEMENT = "agreement"
    PLEDGE = "pledge"


AGREEMENT_KIND_LABELS: dict[AgreementKind, str] = {
    AgreementKind.AGREEMENT: "共建协议",
    AgreementKind.PLEDGE: "承诺书",
}


class VenueStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


VENUE_STATUS_LABELS: dict[VenueStatus, str] = {VenueStatus.OPEN: "开放", VenueStatus.CLOSED: "停用"}


class VolunteerPostKind(StrEnum):
    """The eleven kinds of volunteer posts (11类志愿服务岗)."""

    THEORY_POLICY = "theory_policy"
    PRACTICAL_SKILLS = "practical_skills"
    ASSISTANCE_CARE = "assistance_care"
    CIVILITY = "civility"
    LEGAL_ADVICE = "legal_advice"
    MEDICAL_HEALTH = "medical_health"
    ENVIRONMENT = "environment"
    CULTURE_SPORTS = "culture_sports"
    PUBLIC_SAFETY = "public_safety"
    CONVENIENCE = "convenience"
    EMERGENCY_RESCUE = "emergency_rescue"


VOLUNTEER_POST_KIND_LABELS: dict[VolunteerPostKind, str] = {
    VolunteerPostKind.THEORY_POLICY: "理论政策宣传",
    VolunteerPostKind.PRACTICAL_SKILLS: "实用技术指导",
    VolunteerPostKind.ASSISTANCE_CARE: "帮扶救助关爱",
    VolunteerPostKind.CIVILITY: "文明新风倡导",
    VolunteerPostKind.LEGAL_ADVICE: "法律咨询服务",
    VolunteerPostKind.MEDICAL_HEALTH: "医疗卫生服务",
    VolunteerPostKind.ENVIRONMENT: "环境保护",
    VolunteerPostKind.CULTURE_SPORTS: "文化体育服务",
    VolunteerPostKind.PUBLIC_SAFETY: "平安建设",
    VolunteerPostKind.CONVENIENCE: "便民服务",
    VolunteerPostKind.EMERGENCY_RESCUE: "应急救援",
}


class VolunteerTeamStatus(StrEnum):
    ACTIVE = "active"
    DISBANDED = "disbanded"


VOLUNTEER_TEAM_STATUS_LABELS: dict[VolunteerTeamStatus, str] = {
    VolunteerTeamStatus.ACTIVE: "活跃",
    VolunteerTeamStatus.DISBANDED: "已解散",
}


# --- Units, the two coverages (两个覆盖), members, positions --------------------------------


class UnitKind(StrEnum):
    STATE_ENTERPRISE = "state_enterprise"
    PRIVATE_ENTERPRISE = "private_enterprise"
    FOREIGN_ENTERPRISE = "foreign_enterprise"
    SOCIAL_ORGANIZATION = "social_organization"
    OFFICE_BUILDING = "office_building"
    MARKET = "market"
    INDUSTRIAL_PARK = "industrial_park"
    ONLINE_PLATFORM = "online_platform"
    PUBLIC_INSTITUTION = "public_institution"
    GOVERNMENT_ORGAN = "government_organ"
    SCHOOL = "school"
    HOSPITAL = "hospital"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.STATE_ENTERPRISE: "国有企业",
    UnitKind.PRIVATE_ENTERPRISE: "民营企业",
    UnitKind.FOREIGN_ENTERPRISE: "外资企业",
    UnitKind.SOCIAL_ORGANIZATION: "社会组织",
    UnitKind.OFFICE_BUILDING: "商务楼宇",
    UnitKind.MARKET: "商贸市场",
    UnitKind.INDUSTRIAL_PARK: "产业园区",
    UnitKind.ONLINE_PLATFORM: "互联网平台",
    UnitKind.PUBLIC_INSTITUTION: "事业单位",
    UnitKind.GOVERNMENT_ORGAN: "党政机关",
    UnitKind.SCHOOL: "学校",
    UnitKind.HOSPITAL: "医院",
}


class UnitStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


UNIT_STATUS_LABELS: dict[UnitStatus, str] = {
    UnitStatus.ACTIVE: "正常",
    UnitStatus.DEACTIVATED: "已注销",
}


class CoverageStatus(StrEnum):
    """Derived from a unit's own organization / covering organization / instructor."""

    ORGANIZATION = "organization"
    WORK = "work"
    BLANK = "blank"


COVERAGE_STATUS_LABELS: dict[CoverageStatus, str] = {
    CoverageStatus.ORGANIZATION: "组织覆盖",
    CoverageStatus.WORK: "工作覆盖",
    CoverageStatus.BLANK: "空白点",
}


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


GENDER_LABELS: dict[Gender, str] = {Gender.MALE: "男", Gender.FEMALE: "女"}


class MemberStatus(StrEnum):
    FULL = "full"
    PROBATIONARY = "probationary"


MEMBER_STATUS_LABELS: dict[MemberStatus, str] = {
    MemberStatus.FULL: "正式党员",
    MemberStatus.PROBATIONARY: "预备党员",
}


class LeaveReason(StrEnum):
    DECEASED = "deceased"
    WITHDRAWN = "withdrawn"
    EXPELLED = "expelled"
    STRUCK_OFF = "struck_off"
    PROBATION_ANNULLED = "probation_annulled"
    OTHER = "other"


LEAVE_REASON_LABELS: dict[LeaveReason, str] = {
    LeaveReason.DECEASED: "去世",
    LeaveReason.WITHDRAWN: "退党",
    LeaveReason.EXPELLED: "开除党籍",
    LeaveReason.STRUCK_OFF: "除名",
    LeaveReason.PROBATION_ANNULLED: "取消预备党员资格",
    LeaveReason.OTHER: "其他",
}


class PositionKind(StrEnum):
    SECRETARY = "secretary"
    DEPUTY_SECRETARY = "deputy_secretary"
    ORGANIZATION_COMMITTEE_MEMBER = "organization_committee_member"
    PROPAGANDA_COMMITTEE_MEMBER = "propaganda_committee_member"
    DISCIPLINE_COMMITTEE_MEMBER = "discipline_committee_member"
    COMMITTEE_MEMBER = "committee_member"
    GROUP_LEADER = "group_leader"
    PARTY_BUILDING_INSTRUCTOR = "party_building_instructor"
    FULL_TIME_WORKER = "full_time_worker"


POSITION_KIND_LABELS: dict[PositionKind, str] = {
    PositionKind.SECRETARY: "书记",
    PositionKind.DEPUTY_SECRETARY: "副书记",
    PositionKind.ORGANIZATION_COMMITTEE_MEMBER: "组织委员",
    PositionKind.PROPAGANDA_COMMITTEE_MEMBER: "宣传委员",
    PositionKind.DISCIPLINE_COMMITTEE_MEMBER: "纪检委员",
    PositionKind.COMMITTEE_MEMBER: "委员",
    PositionKind.GROUP_LEADER: "党小组组长",
    PositionKind.PARTY_BUILDING_INSTRUCTOR: "党建指导员",
    PositionKind.FULL_TIME_WORKER: "专职党务工作者",
}

# Positions an organization has at most one holder of at any time (409 on overlap).
SINGLE_HOLDER_POSITIONS = frozenset({PositionKind.SECRETARY, PositionKind.GROUP_LEADER})


# --- community grids and households (社区网格家庭信息) ---


class CareFlag(StrEnum):
    """Why a household needs the community's attention (关爱对象)."""

    ELDERLY_ALONE = "elderly_alone"
    DISABLED = "disabled"
    LOW_INCOME = "low_income"
    VETERAN = "veteran"
    LEFT_BEHIND_CHILDREN = "left_behind_children"
    SERIOUS_ILLNESS = "serious_illness"


CARE_FLAG_LABELS: dict[CareFlag, str] = {
    CareFlag.ELDERLY_ALONE: "独居老人",
    CareFlag.DISABLED: "残疾人",
    CareFlag.LOW_INCOME: "低保户",
    CareFlag.VETERAN: "退役军人",
    CareFlag.LEFT_BEHIND_CHILDREN: "留守儿童",
    CareFlag.SERIOUS_ILLNESS: "重病",
}

# Only these organizations have grids: the community (社区) and village (村) party organizations.
GRID_COMMUNITY_KINDS = frozenset({OrgKind.COMMUNITY_COMMITTEE, OrgKind.VILLAGE_COMMITTEE})
