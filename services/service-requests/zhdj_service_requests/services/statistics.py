"""Statistics over the requests a principal may see: 三率, on-time rate, handling time, volunteers.

Services (``service`` role, e.g. the assessment service) read them for any organization; staff for
their subtree; a resident or a third party only over their own requests.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from zhdj_service_requests.repositories.requests import RequestFilters
from zhdj_service_requests.repositories.statistics import GroupFigures, StatisticsRepository
from zhdj_service_requests.schemas.statistics import GroupBy, GroupStatistics, StatisticsRead
from zhdj_service_requests.services.requests import RequestService
from zhdj_shared.clock import CHINA_TZ
from zhdj_shared.security.authz import Principal


def china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA_TZ)


async def statistics(
    service: RequestService,
    principal: Principal,
    *,
    group_by: GroupBy,
    within: str | None,
    date_from: date | None,
    date_to: date | None,
) -> StatisticsRead:
    filters = RequestFilters(
        created_from=china_midnight(date_from) if date_from else None,
        created_to=china_midnight(date_to + timedelta(days=1)) if date_to else None,
    )
    filters = await service.scope_filters(principal, filters, within)
    groups = await StatisticsRepository(service.session).figures(filters, group_by.value)
    overall = GroupFigures(
        "all",
        *(
            sum(getattr(g, f) for g in groups)
            for f in GroupFigures.__dataclass_fields__
            if f != "key"
        ),
    )
    return StatisticsRead(
        group_by=group_by,
        within=within,
        date_from=date_from,
        date_to=date_to,
        overall=GroupStatistics.of(overall),
        groups=[GroupStatistics.of(g) for g in groups],
    )
