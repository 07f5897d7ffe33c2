"""Statistics over the requests a principal may see: 三率, on-time rate, handling time, volunteers.

Services (``service`` role, e.g. the assessment service) read them for any organization; staff for
their subtree; a resident or a third party only over their own requests.

A batch (:func:`statistics_many`) answers the ``overall`` figures of up to 200 subtrees as the
single read would for each ``within``: their ancestries in one registry call (cached), each
scope authorized as the single read authorizes it (a refusal or an unknown organization is that
item's problem), and the figures of every allowed scope in one statement.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from zhdj_service_requests.repositories.requests import RequestFilters
from zhdj_service_requests.repositories.statistics import GroupFigures, StatisticsRepository
from zhdj_service_requests.schemas.statistics import GroupBy, GroupStatistics, StatisticsRead
from zhdj_service_requests.services.requests import RequestService, within_path
from zhdj_shared.batch import unique
from zhdj_shared.clock import CHINA_TZ
from zhdj_shared.errors import FieldError, Problem, Unprocessable
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
    filters = await service.scope_filters(principal, created_between(date_from, date_to), within)
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


# Days a statistics range may name: the day after ``to`` and a China midnight in UTC must exist
# (9999-12-31 overflowed into a 500; 0001-01-01 too).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def created_between(date_from: date | None, date_to: date | None) -> RequestFilters:
    """Requests submitted from ``date_from`` through ``date_to`` (China days, inclusive)."""
    for field, day in (("from", date_from), ("to", date_to)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            message = f"between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"
            raise Unprocessable(
                f"{field} is {message}", errors=[FieldError(field=field, message=message)]
            )
    return RequestFilters(
        created_from=china_midnight(date_from) if date_from else None,
        created_to=china_midnight(date_to + timedelta(days=1)) if date_to else None,
    )


async def statistics_many(
    service: RequestService,
    principal: Principal,
    within: list[str],
    date_from: date | None,
    date_to: date | None,
) -> dict[str, GroupStatistics | Problem]:
    """The ``overall`` figures of each distinct ``within``, or why it has none."""
    ids = unique(within)
    ancestries = await service.registry.ancestries(ids)
    period = created_between(date_from, date_to)
    answers: dict[str, GroupStatistics | Problem] = {}
    scopes: dict[str, RequestFilters] = {}
    for org_id in ids:
        try:
            path = within_path(principal, org_id, ancestries.get(org_id))
        except Problem as refused:
            answers[org_id] = refused
            continue
        scopes[org_id] = replace(period, within_paths=[path])
    figures = await StatisticsRepository(service.session).figures_by_scope(scopes)
    for org_id in scopes:  # keyed "all", as the single read's ``overall``
        answers[org_id] = GroupStatistics.of(replace(figures[org_id], key="all"))
    return answers
