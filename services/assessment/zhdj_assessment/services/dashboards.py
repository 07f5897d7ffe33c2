"""Dashboards: an overview of the latest published results (city, district or any subtree),
month-by-month trends read from the sources, and red/yellow/green warnings per alliance.

Who sees what: assessors and administrators anything; staff their own subtree (``within`` one
of their organizations or below); anyone else 403. A source that cannot be read leaves its
figures ``None`` (and says so), never zero.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from zhdj_assessment.repositories.cycles import CycleRepository
from zhdj_assessment.services.access import ancestry_of, is_assessor
from zhdj_assessment.settings import AssessmentSettings
from zhdj_assessment.sources import ACTIVITY, REGISTRY, REQUESTS, Period, Sources
from zhdj_assessment.vocabulary import Grade, TargetKind
from zhdj_shared.errors import Forbidden, NotFound, ServiceUnavailable, Unprocessable
from zhdj_shared.registry_client import segment
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role

T = TypeVar("T")
RED, YELLOW, GREEN = "red", "yellow", "green"
PAGE = 200


async def authorize_scope(principal: Principal, sources: Sources, within: str | None) -> None:
    """Assessors and administrators: anything. Staff: a subtree they act for. Others: 403."""
    if is_assessor(principal):
        return
    if not principal.has_role(Role.ORG_STAFF):
        raise Forbidden("dashboards are for assessors and organization staff")
    if within is None:
        raise Forbidden("staff see their own subtree: give within= one of your organizations")
    ancestry = await sources.registry.ancestry(within)
    if ancestry is None:
        raise NotFound(f"no organization {within}")
    if not principal.acts_for(ancestry):
        raise Forbidden("you do not act for this organization")


def _in_scope(path: str, within: str | None) -> bool:
    return within is None or within in ancestry_of(path)


# --- overview -------------------------------------------------------------------------------


@dataclass
class Overview:
    cycle_id: str
    cycle_name: str
    period: str
    target_kind: str
    published_at: datetime | None
    targets: int
    complete: int
    grades: dict[str, int]
    rectification: int
    incentive: int
    average_total: float | None


async def overview(repository: CycleRepository, within: str | None) -> list[Overview]:
    """The latest published cycle of each target kind, counted over the targets in scope."""
    found: list[Overview] = []
    for kind in TargetKind:
        cycle = await repository.latest_published(kind.value)
        if cycle is None:
            continue
        targets = [t for t in await repository.targets(cycle.id) if _in_scope(t.path, within)]
        totals = [t.total for t in targets if t.total is not None]
        found.append(
            Overview(
                cycle_id=cycle.id,
                cycle_name=cycle.name,
                period=Period(cycle.year, cycle.quarter).code,
                target_kind=kind.value,
                published_at=cycle.published_at,
                targets=len(targets),
                complete=sum(1 for t in targets if t.complete),
                grades={g.value: sum(1 for t in targets if t.grade == g) for g in Grade},
                rectification=sum(1 for t in targets if t.rectification),
                incentive=sum(1 for t in targets if t.incentive),
                average_total=round(sum(totals) / len(totals), 2) if totals else None,
            )
        )
    return found


# --- trends ---------------------------------------------------------------------------------


@dataclass
class Month:
    month: str  # YYYY-MM
    activities: int | None = None
    attendance_rate: float | None = None
    volunteer_person_times: int | None = None
    requests: int | None = None
    satisfaction_rate: float | None = None
    on_time_rate: float | None = None
    unavailable_sources: list[str] = field(default_factory=list)


async def _get(sources: Sources, source: str, path: str, params: dict[str, Any]) -> Any:
    client = sources.activity if source == ACTIVITY else sources.requests
    response = await client.get(path, params=params)
    if response.status_code != 200:
        raise ServiceUnavailable(f"{source} answered {response.status_code} for {path}")
    return response.json()


async def _city_root(sources: Sources) -> str:
    body = await sources.registry.get_json(
        "/api/registry/organizations", {"kind": "city_committee", "limit": 1}
    )
    if not body or not body["items"]:
        raise ServiceUnavailable("the registry has no city committee")
    return str(body["items"][0]["id"])


async def trends(sources: Sources, within: str | None, year: int, concurrency: int) -> list[Month]:
    """Twelve months: activities held, attendance and volunteer person-times (activity, one
    read per month, bounded concurrency) and requests, satisfaction and on-time rates
    (service-requests, grouped by month in one read)."""
    months = [Month(f"{year}-{m:02d}") for m in range(1, 13)]
    gate = asyncio.Semaphore(concurrency)
    try:
        scope = within or await _city_root(sources)
    except ServiceUnavailable:
        scope = None

    async def activity(month: Month) -> None:
        if scope is None:
            month.unavailable_sources.append(ACTIVITY)
            return
        async with gate:
            try:
                body = await _get(
                    sources,
                    ACTIVITY,
                    "/api/activity/statistics",
                    {"period": month.month, "within": scope},
                )
            except ServiceUnavailable:
                month.unavailable_sources.append(ACTIVITY)
                return
        month.activities = int(body["activities"])
        month.attendance_rate = body["attendance_rate"]
        month.volunteer_person_times = int(body["volunteer_person_times"])

    async def requests() -> None:
        params = {
            "group_by": "month",
            "from": date(year, 1, 1).isoformat(),
            "to": date(year, 12, 31).isoformat(),
            **({"within": within} if within else {}),
        }
        async with gate:
            try:
                body = await _get(sources, REQUESTS, "/api/service-requests/statistics", params)
            except ServiceUnavailable:
                for month in months:
                    month.unavailable_sources.append(REQUESTS)
                return
        groups = {g["key"]: g for g in body["groups"]}
        for month in months:
            g = groups.get(month.month)
            month.requests = int(g["total"]) if g else 0
            month.satisfaction_rate = g["satisfaction_rate"] if g else None
            month.on_time_rate = g["on_time_rate"] if g else None

    await asyncio.gather(requests(), *(activity(m) for m in months))
    for month in months:
        month.unavailable_sources.sort()
    return months


# --- warnings -------------------------------------------------------------------------------


@dataclass
class Check:
    code: str  # no_activity | overdue_requests | low_satisfaction | missing_convener
    level: str  # red | yellow | green | unavailable
    reason: str
    source: str
    values: dict[str, Any]


@dataclass
class AllianceWarning:
    alliance_id: str
    name: str
    lead_org_id: str
    level: str  # the worst of its checks (unavailable checks do not make it green or red)
    checks: list[Check]


async def _guard(source: str, code: str, read: Callable[[], Awaitable[Check]]) -> Check:
    try:
        return await read()
    except ServiceUnavailable as exc:
        return Check(code, "unavailable", f"数据来源暂不可用：{exc.detail}", source, {})


async def warnings(
    sources: Sources, settings: AssessmentSettings, within: str | None, on: date
) -> list[AllianceWarning]:
    """Every live alliance led in scope, with its four checks."""
    alliances: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {
            "limit": PAGE,
            **({"within": within} if within else {}),
            **({"cursor": cursor} if cursor else {}),
        }
        body = await sources.registry.get_json("/api/registry/alliances", params)
        if body is None:
            raise Unprocessable(f"the registry does not know {within}")
        alliances += [a for a in body["items"] if a["status"] != "dissolved"]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    gate = asyncio.Semaphore(settings.fetch_concurrency)
    since = on - timedelta(days=settings.warning_no_activity_days)
    satisfaction_from = on - timedelta(days=settings.warning_satisfaction_days)

    async def limited(read: Callable[[], Awaitable[Check]], source: str, code: str) -> Check:
        async with gate:
            return await _guard(source, code, read)

    async def no_activity(a: dict[str, Any]) -> Check:
        """Held (or approved) activities since ``since``: the alliance's own, or owned in its
        lead organization's subtree."""
        held = 0
        window = {
            "starts_from": datetime.combine(since, time()).isoformat() + "Z",
            "starts_before": datetime.combine(on + timedelta(days=1), time()).isoformat() + "Z",
        }
        for scope in ({"party_id": a["id"]}, {"within": a["lead_org_id"]}):
            for status in ("held", "approved"):
                body = await _get(
                    sources,
                    ACTIVITY,
                    "/api/activity/activities",
                    {**scope, **window, "status": status, "limit": 1},
                )
                held += len(body["items"])
                if held:
                    break
            if held:
                break
        values = {"since": since.isoformat(), "days": settings.warning_no_activity_days}
        if held:
            return Check("no_activity", GREEN, "近期开展了活动", ACTIVITY, {**values, "held": True})
        reason = f"{settings.warning_no_activity_days} 天内（{since.isoformat()} 起）未开展活动"
        return Check("no_activity", RED, reason, ACTIVITY, {**values, "held": False})

    async def overdue(a: dict[str, Any]) -> Check:
        body = await _get(
            sources,
            REQUESTS,
            "/api/service-requests/requests",
            {"within": a["lead_org_id"], "overdue": "true", "limit": 100},
        )
        count = len(body["items"])
        more = bool(body.get("next_cursor"))
        values = {"overdue": count, "more": more, "within": a["lead_org_id"]}
        if count == 0:
            return Check("overdue_requests", GREEN, "无超期诉求", REQUESTS, values)
        level = RED if count >= settings.warning_overdue_red else YELLOW
        shown = f"{count}+" if more else str(count)
        return Check("overdue_requests", level, f"有 {shown} 件诉求超期未办结", REQUESTS, values)

    async def satisfaction(a: dict[str, Any]) -> Check:
        body = await _get(
            sources,
            REQUESTS,
            "/api/service-requests/statistics",
            {
                "within": a["lead_org_id"],
                "from": satisfaction_from.isoformat(),
                "to": on.isoformat(),
            },
        )
        rate, rated = body["overall"]["satisfaction_rate"], body["overall"]["rated"]
        values = {"satisfaction_rate": rate, "rated": rated, "from": satisfaction_from.isoformat()}
        if rate is None:
            return Check("low_satisfaction", GREEN, "期间无评价", REQUESTS, values)
        if rate < settings.warning_satisfaction_red:
            level = RED
        elif rate < settings.warning_satisfaction_yellow:
            level = YELLOW
        else:
            return Check("low_satisfaction", GREEN, f"满意率 {rate:.0%}", REQUESTS, values)
        return Check("low_satisfaction", level, f"满意率偏低：{rate:.0%}", REQUESTS, values)

    async def convener(a: dict[str, Any]) -> Check:
        body = await sources.registry.get_json(
            f"/api/registry/alliances/{segment(a['id'])}/convener", {"on": on.isoformat()}
        )
        if body is None:  # 404: the registry no longer knows the alliance
            raise ServiceUnavailable("the registry does not know this alliance")
        values = {"on": on.isoformat(), "period": body["period"]}
        if body["period"] is None:
            return Check("missing_convener", YELLOW, "当前无轮值召集人", REGISTRY, values)
        return Check("missing_convener", GREEN, "已明确轮值召集人", REGISTRY, values)

    async def one(a: dict[str, Any]) -> AllianceWarning:
        checks = list(
            await asyncio.gather(
                limited(lambda: no_activity(a), ACTIVITY, "no_activity"),
                limited(lambda: overdue(a), REQUESTS, "overdue_requests"),
                limited(lambda: satisfaction(a), REQUESTS, "low_satisfaction"),
                limited(lambda: convener(a), REGISTRY, "missing_convener"),
            )
        )
        levels = {c.level for c in checks}
        level = RED if RED in levels else YELLOW if YELLOW in levels else GREEN
        return AllianceWarning(a["id"], a["name"], a["lead_org_id"], level, checks)

    return list(await asyncio.gather(*(one(a) for a in alliances)))
