"""The activity service's fixed words and the seeds of its data-driven vocabularies.

Activity types and cadence rules are *data* (tables ``activity_types`` and ``cadence_rules``): a
city adds types and changes cadences without a release. The tuples below are only what the first
migration seeds (the defaults of DOMAIN.md, "Fixed cadences"); code never branches on a type
except the few named here (lectures carry a lecturer; the secretary-lecture check reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"  # the record (minutes, attendance, attachments) is submitted
    APPROVED = "approved"
    RETURNED = "returned"  # sent back by the supervising organization with a reason
    CANCELLED = "cancelled"


STATUS_LABELS: dict[ActivityStatus, str] = {
    ActivityStatus.PLANNED: "计划中",
    ActivityStatus.HELD: "已开展待审核",
    ActivityStatus.APPROVED: "已审核",
    ActivityStatus.RETURNED: "已退回",
    ActivityStatus.CANCELLED: "已取消",
}

# What counts as "held" for compliance and statistics: a record submitted and not sent back.
COUNTED_STATUSES: tuple[str, ...] = (ActivityStatus.HELD.value, ActivityStatus.APPROVED.value)


class PartyKind(StrEnum):
    ORG = "org"
    ALLIANCE = "alliance"


class AttendanceStatus(StrEnum):
    EXPECTED = "expected"
    PRESENT = "present"
    LEAVE = "leave"  # 请假, with a reason
    ABSENT = "absent"


ATTENDANCE_LABELS: dict[AttendanceStatus, str] = {
    AttendanceStatus.EXPECTED: "待签到",
    AttendanceStatus.PRESENT: "已签到",
    AttendanceStatus.LEAVE: "请假",
    AttendanceStatus.ABSENT: "缺席",
}


class CheckinMethod(StrEnum):
    CODE = "code"  # the member, with the code the QR on the wall carries
    SECRETARY = "secretary"  # recorded by the secretary / staff


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"
    ONCE = "once"


PERIOD_LABELS: dict[Period, str] = {
    Period.MONTH: "每月",
    Period.QUARTER: "每季度",
    Period.HALF_YEAR: "每半年",
    Period.YEAR: "每年",
    Period.ONCE: "一次",
}


class AppliesTo(StrEnum):
    """Who a cadence rule binds; organization kinds come from the registry."""

    BRANCH = "branch"  # 党支部 (branch, joint branch, general branch)
    PARTY_GROUP = "party_group"
    ALLIANCE = "alliance"
    JOINT_COMMITTEE = "joint_committee"


# Registry organization kinds each ``AppliesTo`` covers.
ORG_KINDS_OF: dict[AppliesTo, frozenset[str]] = {
    AppliesTo.BRANCH: frozenset({"branch", "joint_branch", "general_branch"}),
    AppliesTo.PARTY_GROUP: frozenset({"party_group"}),
    AppliesTo.JOINT_COMMITTEE: frozenset({"joint_committee"}),
}

LECTURE = "party_lecture"


@dataclass(frozen=True)
class TypeSeed:
    code: str
    label_zh: str
    label_en: str
    has_lecturer: bool = False


ACTIVITY_TYPES: tuple[TypeSeed, ...] = (
    TypeSeed("general_meeting", "支部党员大会", "Branch general meeting"),
    TypeSeed("committee_meeting", "支部委员会", "Branch committee meeting"),
    TypeSeed("group_meeting", "党小组会", "Party group meeting"),
    TypeSeed(LECTURE, "党课", "Party lecture", has_lecturer=True),
    TypeSeed("themed_party_day", "主题党日", "Themed party day"),
    TypeSeed("alliance_founding", "联合体成立动员会", "Alliance founding mobilization"),
    TypeSeed("alliance_five_ones", "五个一主题党日", "Alliance 五个一 themed day"),
    TypeSeed("joint_committee_meeting", "联席会议", "Joint committee meeting"),
    TypeSeed("chain_heads_meeting", "链长会议", "Chain heads meeting"),
    TypeSeed("representatives_meeting", "代表会议", "Representatives meeting"),
    TypeSeed("visit_exchange", "互访交流", "Visit exchange"),
    TypeSeed("mutual_review", "互学互查互评", "Mutual learn-inspect-review"),
    TypeSeed("volunteer_service", "志愿服务", "Volunteer service"),
    TypeSeed("cultural_performance", "文艺演出", "Cultural performance"),
    TypeSeed("other", "其他活动", "Other"),
)


@dataclass(frozen=True)
class RuleSeed:
    code: str
    label_zh: str
    activity_type: str
    applies_to: AppliesTo
    period: Period
    min_count: int = 1


CADENCE_RULES: tuple[RuleSeed, ...] = (
    RuleSeed(
        "branch_general_meeting",
        "支部党员大会每季度至少一次",
        "general_meeting",
        AppliesTo.BRANCH,
        Period.QUARTER,
    ),
    RuleSeed(
        "branch_committee_meeting",
        "支部委员会每月至少一次",
        "committee_meeting",
        AppliesTo.BRANCH,
        Period.MONTH,
    ),
    RuleSeed(
        "party_group_meeting",
        "党小组会每月至少一次",
        "group_meeting",
        AppliesTo.PARTY_GROUP,
        Period.MONTH,
    ),
    RuleSeed(
        "branch_party_lecture", "党课每季度至少一次", LECTURE, AppliesTo.BRANCH, Period.QUARTER
    ),
    RuleSeed(
        "branch_themed_day", "主题党日每月一次", "themed_party_day", AppliesTo.BRANCH, Period.MONTH
    ),
    RuleSeed(
        "alliance_five_ones",
        "联合体“五个一”主题党日每季度一次",
        "alliance_five_ones",
        AppliesTo.ALLIANCE,
        Period.QUARTER,
    ),
    RuleSeed(
        "alliance_founding",
        "联合体成立动员会",
        "alliance_founding",
        AppliesTo.ALLIANCE,
        Period.ONCE,
    ),
    RuleSeed(
        "alliance_visit_exchange",
        "联合体互访交流每月一次",
        "visit_exchange",
        AppliesTo.ALLIANCE,
        Period.MONTH,
    ),
    RuleSeed(
        "alliance_mutual_review",
        "互学互查互评每半年一次",
        "mutual_review",
        AppliesTo.ALLIANCE,
        Period.HALF_YEAR,
    ),
    RuleSeed(
        "joint_committee_meeting",
        "联席会议每月一次",
        "joint_committee_meeting",
        AppliesTo.JOINT_COMMITTEE,
        Period.MONTH,
    ),
    RuleSeed(
        "chain_heads_meeting",
        "链长会议每季度一次",
        "chain_heads_meeting",
        AppliesTo.JOINT_COMMITTEE,
        Period.QUARTER,
    ),
    RuleSeed(
        "representatives_meeting",
        "代表会议每半年一次",
        "representatives_meeting",
        AppliesTo.JOINT_COMMITTEE,
        Period.HALF_YEAR,
    ),
)
