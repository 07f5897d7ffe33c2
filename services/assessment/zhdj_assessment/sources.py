"""Metrics read from the other services (registry, activity, service-requests) over REST.

In production every source is the gateway, reached with this service's own client credentials
(one :class:`ServiceClient`); tests pass a client per real app over an ASGI transport.

Sources are read in bulk (:meth:`Sources.read_many`): one batch call per :data:`TARGETS_PER_CALL`
targets and source (``POST .../batch`` or ``.../lookups``, sent as retryable reads, see
docs/decisions/0008-batch-reads.md), a bounded number in flight. Each target gets its own
:class:`Reading`: its values, the batch path, its own scope as the params and when it was read,
so every automatic score keeps its evidence. A batch call that fails gives a :class:`Failure` to
the targets of that call only; an item the source answers with a problem (unknown, refused) a
:class:`Failure` to that target only. The caller marks the indicators fed by a failure
``unavailable`` (never zero).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from zhdj_assessment.vocabulary import TargetKind
from zhdj_shared.batch import chunks
from zhdj_shared.client import ServiceClient
from zhdj_shared.db import utcnow
from zhdj_shared.errors import ServiceUnavailable
from zhdj_shared.registry_client import ALLIANCE_LOOKUPS, RegistryClient
from zhdj_shared.security.scopes import Scope
from zhdj_shared.settings import ServiceSettings

REGISTRY, ACTIVITY, REQUESTS = "registry", "activity", "service-requests"

# Targets per batch call: half the sources' limit of 200 scopes, so that one call stays well
# inside the gateway's upstream deadline and one failure leaves out at most this many targets.
TARGETS_PER_CALL = 100
REGISTRY_STATISTICS = "/api/registry/statistics/batch"
ACTIVITY_STATISTICS = "/api/activity/statistics/batch"
REQUESTS_STATISTICS = "/api/service-requests/statistics/batch"


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


@dataclass(frozen=True)
class Failure:
    """A source that could not give a target its figures (the error is kept as evidence)."""

    source: str
    error: str
    tried_at: datetime


Outcome = Reading | Failure
Reader = Callable[[list[Target], Period], Awaitable[dict[str, Outcome]]]


async def _post(
    client: ServiceClient, source: str, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A batch read: the answer's JSON; any error answer is the source failing (503)."""
    response = await client.post(path, json=body, idempotent=True)
    if response.status_code >= 400:
        raise ServiceUnavailable(f"{source} answered {response.status_code} for {path}")
    answer: dict[str, Any] = response.json()
    return answer


def _items(answer: dict[str, Any], source: str, expected: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = answer["items"]
    if len(items) != expected:
        raise ServiceUnavailable(f"{source} answered {len(items)} items for {expected} scopes")
    return items


def _refused(source: str, target: Target, problem: dict[str, Any], at: datetime) -> Failure:
    detail = problem.get("detail") or problem.get("title") or ""
    return Failure(source, f"{source} answered {problem['status']} for {target.id}: {detail}", at)


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

    async def read_many(
        self, source: str, targets: list[Target], period: Period, gate: asyncio.Semaphore
    ) -> dict[str, Outcome]:
        """Every target's outcome from ``source``: one batch call per :data:`TARGETS_PER_CALL`
        targets, as many in flight as ``gate`` lets through (shared by the caller's sources)."""
        readers: dict[str, Reader] = {
            REGISTRY: self.registry_figures,
            ACTIVITY: self.activity_figures,
            REQUESTS: self.requests_figures,
        }
        if source not in readers:
            raise ValueError(f"unknown source {source}")
        reader = readers[source]

        async def call(chunk: list[Target]) -> dict[str, Outcome]:
            async with gate:
                try:
                    return await reader(chunk, period)
                except ServiceUnavailable as exc:
                    failed = Failure(source, exc.detail or "", utcnow())
                    return dict.fromkeys((t.id for t in chunk), failed)

        found: dict[str, Outcome] = {}
        for got in await asyncio.gather(*(call(c) for c in chunks(targets, TARGETS_PER_CALL))):
            found.update(got)
        return found

    async def registry_figures(self, targets: list[Target], period: Period) -> dict[str, Outcome]:
        alliances = [t for t in targets if t.kind == TargetKind.ALLIANCE]
        orgs = [t for t in targets if t.kind != TargetKind.ALLIANCE]
        found: dict[str, Outcome] = {}
        if alliances:
            answer = await _post(
                self.registry.http, REGISTRY, ALLIANCE_LOOKUPS, {"ids": [t.id for t in alliances]}
            )
            read_at = utcnow()
            known = {str(i["alliance"]["id"]): i["alliance"] for i in answer["items"]}
            for target in alliances:
                alliance = known.get(target.id)
                if alliance is None:
                    error = f"the registry does not know alliance {target.id}"
                    found[target.id] = Failure(REGISTRY, error, read_at)
                    continue
                years = [int(y) for y in alliance.get("demonstration_years", [])]
                values = {
                    "registry.member_orgs": _num(alliance["member_count"]),
                    "registry.demonstration_site": 1.0
                    if any(y <= period.year for y in years)
                    else 0.0,
                }
                found[target.id] = Reading(
                    REGISTRY, ALLIANCE_LOOKUPS, {"id": target.id}, values, read_at
                )
        if orgs:
            on = period.end.isoformat()
            answer = await _post(
                self.registry.http,
                REGISTRY,
                REGISTRY_STATISTICS,
                {"within": [t.id for t in orgs], "on": on},
            )
            read_at = utcnow()
            figures = {str(i["scope"]["org_id"]): i for i in answer["items"]}
            for target in orgs:
                body = figures.get(target.id)
                if body is None:
                    error = f"the registry does not know organization {target.id}"
                    found[target.id] = Failure(REGISTRY, error, read_at)
                    continue
                values = {
                    "registry.unit_coverage_rate": _num(body["unit_coverage"]["overall_rate"]),
                    "registry.alliance_coverage_rate": _num(
                        body["alliance_coverage"]["organization_rate"]
                    ),
                }
                params = {"within": target.id, "on": on}
                found[target.id] = Reading(REGISTRY, REGISTRY_STATISTICS, params, values, read_at)
        return found

    async def activity_figures(self, targets: list[Target], period: Period) -> dict[str, Outcome]:
        scopes = [
            {"alliance_id": t.id} if t.kind == TargetKind.ALLIANCE else {"within": t.id}
            for t in targets
        ]
        lectures = any(t.kind == TargetKind.ALLIANCE for t in targets)
        answer = await _post(
            self.activity,
            ACTIVITY,
            ACTIVITY_STATISTICS,
            {"period": period.code, "scopes": scopes, "secretary_lectures": lectures},
        )
        read_at = utcnow()
        found: dict[str, Outcome] = {}
        items = _items(answer, ACTIVITY, len(targets))
        for target, scope, item in zip(targets, scopes, items, strict=True):
            if item.get("problem"):
                found[target.id] = _refused(ACTIVITY, target, item["problem"], read_at)
                continue
            body = item["statistics"]
            values = {
                "activity.compliance_rate": _num(body["compliance_rate"]),
                "activity.attendance_rate": _num(body["attendance_rate"]),
                "activity.activities": _num(body["activities"]),
                "activity.volunteer_person_times": _num(body["volunteer_person_times"]),
            }
            if target.kind == TargetKind.ALLIANCE:
                members = item["secretary_lectures"]["members"]
                met = sum(1 for m in members if m["met"])
                values["activity.secretary_lecture_rate"] = (
                    round(met / len(members), 4) if members else None
                )
            params = {"period": period.code, **scope}
            found[target.id] = Reading(ACTIVITY, ACTIVITY_STATISTICS, params, values, read_at)
        return found

    async def requests_figures(self, targets: list[Target], period: Period) -> dict[str, Outcome]:
        """An alliance's requests are its lead organization's subtree's."""
        found: dict[str, Outcome] = {}
        scoped: list[tuple[Target, str]] = []
        for target in targets:
            within = target.lead_org_id if target.kind == TargetKind.ALLIANCE else target.id
            if within is None:
                error = f"no lead organization known for {target.id}"
                found[target.id] = Failure(REQUESTS, error, utcnow())
            else:
                scoped.append((target, within))
        if not scoped:
            return found
        dates = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        answer = await _post(
            self.requests,
            REQUESTS,
            REQUESTS_STATISTICS,
            {**dates, "within": [w for _, w in scoped]},
        )
        read_at = utcnow()
        items = _items(answer, REQUESTS, len(scoped))
        for (target, within), item in zip(scoped, items, strict=True):
            if item.get("problem"):
                found[target.id] = _refused(REQUESTS, target, item["problem"], read_at)
                continue
            overall = item["overall"]
            values = {
                f"requests.{name}": _num(overall[name])
                for name in (
                    "response_rate",
                    "resolution_rate",
                    "satisfaction_rate",
                    "on_time_rate",
                )
            }
            params = {"within": within, **dates}
            found[target.id] = Reading(REQUESTS, REQUESTS_STATISTICS, params, values, read_at)
        return found
