"""API shapes of statistics (三率: response, resolution and satisfaction rates)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from zhdj_service_requests.repositories.statistics import GroupFigures
from zhdj_shared.batch import BatchIds, ItemProblem


class GroupBy(StrEnum):
    ORG = "org"
    DEPARTMENT = "department"
    CATEGORY = "category"
    COMMUNITY = "community"
    MONTH = "month"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class GroupStatistics(BaseModel):
    key: str = Field(description="Organization, department, category, community id or YYYY-MM")
    total: int = Field(description="Requests submitted (cancelled ones excluded)")
    response_rate: float | None = Field(description="响应率: accepted or rejected / submitted")
    resolution_rate: float | None = Field(description="办结率: resolved / accepted")
    satisfaction_rate: float | None = Field(description="满意率: rated 4 or 5 / rated")
    on_time_rate: float | None = Field(
        description="按期办结率: resolved by the deadline / resolved"
    )
    response_on_time_rate: float | None
    average_handling_hours: float | None
    responded: int
    accepted: int
    resolved: int
    rated: int
    satisfied: int
    volunteer_requests: int = Field(description="Requests a volunteer team took part in")
    volunteer_person_times: int = Field(description="志愿服务人次")

    @classmethod
    def of(cls, g: GroupFigures) -> GroupStatistics:
        return cls(
            key=g.key,
            total=g.total,
            response_rate=_rate(g.responded, g.total),
            resolution_rate=_rate(g.resolved, g.accepted),
            satisfaction_rate=_rate(g.satisfied, g.rated),
            on_time_rate=_rate(g.resolved_on_time, g.resolved),
            response_on_time_rate=_rate(g.responded_on_time, g.responded),
            average_handling_hours=round(g.handling_minutes_sum / g.handling_count / 60, 2)
            if g.handling_count
            else None,
            responded=g.responded,
            accepted=g.accepted,
            resolved=g.resolved,
            rated=g.rated,
            satisfied=g.satisfied,
            volunteer_requests=g.volunteer_requests,
            volunteer_person_times=g.volunteer_person_times,
        )


class StatisticsRead(BaseModel):
    group_by: GroupBy
    within: str | None
    date_from: date | None
    date_to: date | None
    overall: GroupStatistics
    groups: list[GroupStatistics]


class StatisticsBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: date | None = Field(default=None, alias="from", description="First day (China)")
    date_to: date | None = Field(default=None, alias="to", description="Last day, inclusive")
    within: BatchIds = Field(description="Organizations (their subtrees); at most 200")


class ScopeStatistics(BaseModel):
    within: str
    overall: GroupStatistics | None = Field(
        description="As GET /statistics?within=&from=&to= gives its `overall`"
    )
    problem: ItemProblem | None = Field(
        default=None, description="Why this scope has none: 422 unknown, 403 not yours"
    )


class StatisticsBatchRead(BaseModel):
    date_from: date | None
    date_to: date | None
    items: list[ScopeStatistics] = Field(description="In the order asked (duplicates repeated)")
