"""Metrics read from the other services (registry, activity, service-requests) over REST.

In production every source is the gateway, reached with this service's own client credentials
(one :class:`ServiceClient`); tests pass a client per real app over an ASGI transport. Each
reader returns a :class:`Reading`: the values, where they came from and when they were read, so
every automatic score keeps its evidence. A source that cannot be read raises
:class:`ServiceUnavailable`; the caller marks the indicators fed by it ``unavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from zhdj_assessment.vocabulary import TargetKind
from zhdj_shared.client import ServiceClient
from zhdj_shared.db import utcnow
from zhdj_shared.errors import ServiceUnavailable
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.scopes import Scope
from zhdj_shared.settings import ServiceSettings

REGISTRY, ACTIVITY, REQUESTS = "registry", "activity", "service-requests"


@dataclass(frozen=True)
class Metric:
    code: str
    source: str
    label_zh: str
    kinds: frozenset[TargetKind]


_BOTH = frozenset({TargetKind.ALLIANCE, TargetKind.ORG})
_ALLIANCE = frozenset({TargetKind.ALLIANCE})
_ORG = frozenset({TargetKind.ORG})

METRICS: dict[str, Metric] = {
    m.code: m
    for m in (
        Metric("registry.unit_coverage_rate", REGISTRY, "单位两个覆盖率", _ORG),
        Metric("registry.alliance_coverage_rate", REGISTRY, "党组织联合体覆盖率", _ORG),
        Metric("registry.member_orgs", REGISTRY, "成员党组织数", _ALLIANCE),
        Metric("registry.demonstration_site", REGISTRY, "精品示范点(是=1)", _ALLIANCE),
        Metric("activity.compliance_rate", ACTIVITY, "组织生活合规率", _BOTH),
        Metric("activity.attendance_rate", ACTIVITY, "活动出勤率", _BOTH),
        Metric("activity.activities", ACTIVITY, "开展活动次数", _BOTH),
        Metric("activity.volunteer_person_times", ACTIVITY, "志愿服务人次", _BOTH),
        Metric("activity.secretary_lecture_rate", ACTIVITY, "书记讲党课比例", _ALLIANCE),
        Metric("requests.response_rate", REQUESTS, "响应率", _BOTH),
        Metric("requests.resolution_rate", REQUESTS, "办结率", _BOTH),
        Metric("requests.satisfaction_rate", REQUESTS, "满意率", _BOTH),
        Metric("requests.on_time_rate", REQUESTS, "按期办结率", _BOTH),
    )
}


@dataclass(frozen=True)
class Period:
    """A cycle's period: a year, or a quarter of it."""

    year: int
    quarter: int | None = None

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1 if self.quarter else 1, 1)

    @property
    def end(self) -> date:
        if not self.quarter or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)


@dataclass(frozen=True)
class Target:
    id: str
    kind: TargetKind
    lead_org_id: str | None = None  # an alliance's lead organization (requests are its subtree's)


@dataclass(frozen=True)
class Reading:
    source: str
    path: str
    params: dict[str, Any]
    values: dict[str, float | None]
    read_at: datetime

    def evidence(self, metric: str) -> dict[str, Any]:
        return {
            "metric": metric,
            "value": self.values.get(metric),
            "source": self.source,
            "path": self.path,
            "params": self.params,
            "read_at": self.read_at.isoformat(),
        }


async def _get(
    client: ServiceClient, source: str, path: str, params: dict[str, Any]
) -> dict[str, Any]:
    response = await client.get(path, params=params)
    if response.status_code >= 400:
        # 404 included: a target the source does not know cannot be scored from it now.
        raise ServiceUnavailable(f"{source} answered {response.status_code} for {path}")
    body: dict[str, Any] = response.json()
    return body


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


class Sources:
    def __init__(
        self, registry: RegistryClient, activity: ServiceClient, requests: ServiceClient
    ) -> None:
        self.registry = registry
        self.activity = activity
        self.requests = requests

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, registry: RegistryClient | None = None
    ) -> Sources:
        """One client for the gateway, with this service's read scopes on every source (the
        registry's may be given: tests pass a real registry app's client)."""
        platform = settings.platform
        gateway = ServiceClient(
            platform.gateway_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scopes=" ".join(
                s.value
                for s in (
                    Scope.REGISTRY_READ,
                    Scope.REGISTRY_WRITE,  # an alliance's status from the rectification list
                    Scope.ACTIVITY_READ,
                    Scope.REQUESTS_READ,
                )
            ),
            connect_timeout=platform.http_connect_timeout,
            read_timeout=platform.http_read_timeout,
        )
        return cls(registry or RegistryClient(gateway), gateway, gateway)

    async def aclose(self) -> None:
        for client in {
            id(c): c for c in (self.registry.http, self.activity, self.requests)
        }.values():
            await client.aclose()

    async def read(self, source: str, target: Target, period: Period) -> Reading:
        if source == REGISTRY:
            return await self.registry_figures(target, period)
        if source == ACTIVITY:
            return await self.activity_figures(target, period)
        if source == REQUESTS:
            return await self.requests_figures(target, period)
        raise ValueError(f"unknown source {source}")

    async def registry_figures(self, target: Target, period: Period) -> Reading:
        if target.kind == TargetKind.ALLIANCE:
            path = f"/api/registry/alliances/{target.id}"
            body = await _get(self.registry.http, REGISTRY, path, {})
            years = [int(y) for y in body.get("demonstration_years", [])]
            values = {
                "registry.member_orgs": _num(body["member_count"]),
                "registry.demonstration_site": 1.0 if any(y <= period.year for y in years) else 0.0,
            }
            return Reading(REGISTRY, path, {}, values, utcnow())
        path, params = (
            "/api/registry/statistics",
            {
                "within": target.id,
                "on": period.end.isoformat(),
            },
        )
        body = await _get(self.registry.http, REGISTRY, path, params)
        values = {
            "registry.unit_coverage_rate": _num(body["unit_coverage"]["overall_rate"]),
            "registry.alliance_coverage_rate": _num(body["alliance_coverage"]["organization_rate"]),
        }
        return Reading(REGISTRY, path, params, values, utcnow())

    async def activity_figures(self, target: Target, period: Period) -> Reading:
        scope = (
            {"alliance_id": target.id}
            if target.kind == TargetKind.ALLIANCE
            else {"within": target.id}
        )
        path, params = "/api/activity/statistics", {"period": period.code, **scope}
        body = await _get(self.activity, ACTIVITY, path, params)
        values = {
            "activity.compliance_rate": _num(body["compliance_rate"]),
            "activity.attendance_rate": _num(body["attendance_rate"]),
            "activity.activities": _num(body["activities"]),
            "activity.volunteer_person_times": _num(body["volunteer_person_times"]),
        }
        if target.kind == TargetKind.ALLIANCE:
            lectures = f"/api/activity/compliance/alliances/{target.id}/secretary-lectures"
            check = await _get(self.activity, ACTIVITY, lectures, {"year": period.year})
            members = check["members"]
            met = sum(1 for m in members if m["met"])
            values["activity.secretary_lecture_rate"] = (
                round(met / len(members), 4) if members else None
            )
        return Reading(ACTIVITY, path, params, values, utcnow())

    async def requests_figures(self, target: Target, period: Period) -> Reading:
        within = target.lead_org_id if target.kind == TargetKind.ALLIANCE else target.id
        path = "/api/service-requests/statistics"
        params = {
            "within": within,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        }
        body = await _get(self.requests, REQUESTS, path, params)
        overall = body["overall"]
        values = {
            f"requests.{name}": _num(overall[name])
            for name in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
        }
        return Reading(REQUESTS, path, params, values, utcnow())
