"""The city report (全市融合党建工作情况): the seed's "×" figures for a period, filled from the
registry, activity and service-requests statistics, as JSON and as Chinese Markdown.

A source that cannot be read leaves its figures ``None`` (listed in ``unavailable_sources`` and
shown as "（数据暂不可用）" in the text), never zero.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from zhdj_assessment.services.access import require_assessor
from zhdj_assessment.sources import (
    ACTIVITY,
    ACTIVITY_STATISTICS,
    REGISTRY,
    REQUESTS,
    TARGETS_PER_CALL,
    Period,
    Sources,
)
from zhdj_shared.batch import chunks
from zhdj_shared.clock import today_in_china
from zhdj_shared.errors import ServiceUnavailable
from zhdj_shared.security.authz import Principal

PAGE = 200
MISSING = "（数据暂不可用）"


@dataclass
class CityFigures:
    demonstration_sites: int | None = None
    alliances: int | None = None
    organizations_covered: int | None = None
    members_covered: int | None = None
    themed_party_days: int | None = None
    activities: int | None = None
    secretaries: int | None = None
    secretaries_lectured: int | None = None
    volunteer_teams: int | None = None
    volunteer_person_times: int | None = None
    requests: int | None = None
    requests_resolved: int | None = None
    satisfaction_rate: float | None = None
    unavailable_sources: list[str] = field(default_factory=list)


logger = logging.getLogger(__name__)


class ReportService:
    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    async def city(self, principal: Principal, period: Period) -> CityFigures:
        require_assessor(principal)
        figures = CityFigures()
        for source, read in (
            (REGISTRY, self._registry),
            (ACTIVITY, self._activity),
            (REQUESTS, self._requests),
        ):
            try:
                await read(figures, period)
            except ServiceUnavailable as exc:
                # Operators need the reason (down, refused, rate-limited...); the report says which.
                logger.warning("city report: %s unavailable: %s", source, exc.detail)
                figures.unavailable_sources.append(source)
        return figures

    async def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            body = await self.sources.registry.get_json(path, query)
            if body is None:
                raise ServiceUnavailable(f"the registry does not answer {path}")
            items += body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return items

    async def _registry(self, figures: CityFigures, period: Period) -> None:
        stats = await self.sources.registry.get_json(
            "/api/registry/statistics", {"on": period.end.isoformat()}
        )
        if stats is None:
            raise ServiceUnavailable("the registry has no statistics")
        figures.demonstration_sites = int(stats["alliances"]["demonstration_sites"])
        figures.alliances = int(stats["alliances"]["total"])
        figures.organizations_covered = int(stats["alliance_coverage"]["organizations_covered"])
        figures.members_covered = int(stats["alliance_coverage"]["members_covered"])
        figures.volunteer_teams = len(await self._pages("/api/registry/volunteer-teams", {}))

    async def _activity(self, figures: CityFigures, period: Period) -> None:
        roots = await self._pages("/api/registry/organizations", {"kind": "city_committee"})
        if not roots:
            raise ServiceUnavailable("the registry has no city committee")
        response = await self.sources.activity.get(
            "/api/activity/statistics", params={"period": period.code, "within": roots[0]["id"]}
        )
        if response.status_code != 200:
            raise ServiceUnavailable(f"activity answered {response.status_code}")
        stats = response.json()
        by_type = {t["type_code"]: int(t["count"]) for t in stats["by_type"]}
        figures.themed_party_days = by_type.get("themed_party_day", 0)
        figures.activities = int(stats["activities"])
        figures.volunteer_person_times = int(stats["volunteer_person_times"])
        secretaries = lectured = 0
        alliances = [
            a["id"]
            for a in await self._pages("/api/registry/alliances", {})
            if a["status"] != "dissolved"
        ]
        # The secretary-lecture checks of the period's year, 100 alliances per batch call.
        for chunk in chunks(alliances, TARGETS_PER_CALL):
            response = await self.sources.activity.post(
                ACTIVITY_STATISTICS,
                json={
                    "period": period.code,
                    "scopes": [{"alliance_id": a} for a in chunk],
                    "secretary_lectures": True,
                },
                idempotent=True,
            )
            if response.status_code != 200:
                raise ServiceUnavailable(f"activity answered {response.status_code}")
            for item in response.json()["items"]:
                if item.get("problem"):
                    raise ServiceUnavailable(f"activity answered {item['problem']['status']}")
                members = item["secretary_lectures"]["members"]
                secretaries += sum(1 for m in members if m["secretary_id"])
                lectured += sum(1 for m in members if m["met"])
        figures.secretaries, figures.secretaries_lectured = secretaries, lectured

    async def _requests(self, figures: CityFigures, period: Period) -> None:
        response = await self.sources.requests.get(
            "/api/service-requests/statistics",
            params={"from": period.start.isoformat(), "to": period.end.isoformat()},
        )
        if response.status_code != 200:
            raise ServiceUnavailable(f"service-requests answered {response.status_code}")
        overall = response.json()["overall"]
        figures.requests = int(overall["total"])
        figures.requests_resolved = int(overall["resolved"])
        figures.satisfaction_rate = overall["satisfaction_rate"]


def _n(value: int | None) -> str:
    return MISSING if value is None else str(value)


def period_label(period: Period) -> str:
    return f"{period.year}年第{period.quarter}季度" if period.quarter else f"{period.year}年"


def markdown(figures: CityFigures, period: Period) -> str:
    """The report's figures in the seed's words (全市融合党建工作情况)."""
    rate = (
        MISSING
        if figures.satisfaction_rate is None and REQUESTS in figures.unavailable_sources
        else "暂无评价"
        if figures.satisfaction_rate is None
        else f"{figures.satisfaction_rate * 100:.1f}%"
    )
    lines = [
        f"# {period_label(period)}全市融合党建工作情况",
        "",
        f"目前全市已培树{_n(figures.demonstration_sites)}个“融合党建精品示范点”，"
        f"带动组建各类党建联合体{_n(figures.alliances)}个，"
        f"覆盖基层党组织{_n(figures.organizations_covered)}个、党员{_n(figures.members_covered)}名。",
        "",
        f"{period_label(period)}以来，全市共开展主题党日活动{_n(figures.themed_party_days)}场次"
        f"（各类组织生活{_n(figures.activities)}场次），"
        f"{_n(figures.secretaries)}名联合体成员党组织书记中{_n(figures.secretaries_lectured)}名"
        "讲了至少1次党课。",
        "",
        f"组建各类党员志愿服务队{_n(figures.volunteer_teams)}支，"
        f"开展志愿服务活动{_n(figures.volunteer_person_times)}人次。",
        "",
        f"受理群众诉求{_n(figures.requests)}件，办结{_n(figures.requests_resolved)}件，"
        f"群众满意率{rate}。",
        "",
        f"（数据截至 {today_in_china().isoformat()}，由平台根据实时数据生成。）",
    ]
    return "\n".join(lines) + "\n"
