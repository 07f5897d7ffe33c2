"""A recompute reads its sources in bulk (docs/decisions/0008-batch-reads.md): counted where the
calls arrive (the real registry, activity and service-requests apps' transports), N targets
cost at most ceil(N/100) calls per source; a batch call that fails marks ONLY its own targets'
indicators unavailable (never zero), and a later recompute restores them."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.assessment.conftest import DEFAULT_SYSTEM, AssessmentApp, serve_assessment
from tests.support.assessment_upstreams import FaultyTransport, assessment_sources
from tests.support.tokens import TestKeys
from tests.support.upstreams import registry_app, registry_upstream
from zhdj_assessment.sources import (
    ACTIVITY_STATISTICS,
    REGISTRY_STATISTICS,
    REQUESTS_STATISTICS,
    TARGETS_PER_CALL,
)
from zhdj_shared.db import Database
from zhdj_shared.registry_client import ALLIANCE_LOOKUPS, RegistryClient

YEAR = 2025
ORG_KINDS = [
    "street_working_committee",
    "township_committee",
    "community_committee",
    "village_committee",
    "party_committee",
    "joint_committee",
    "general_branch",
    "branch",
    "joint_branch",
    "party_group",
]


@dataclass
class Counted:
    app: AssessmentApp
    registry: FaultyTransport  # the assessment's own registry calls
    activity: FaultyTransport
    requests: FaultyTransport

    def clear(self) -> None:
        for transport in (self.registry, self.activity, self.requests):
            transport.calls.clear()


@pytest.fixture
async def counted(
    assessment_database: Database,
    registry_demo_database: Database,
    activity_demo_database: Database,
    requests_demo_database: Database,
    demo_registry_client: RegistryClient,
    keys: TestKeys,
    tmp_path: Any,
) -> AsyncIterator[Counted]:
    registry_transport = FaultyTransport(registry_app(registry_demo_database, keys))
    transports: dict[str, FaultyTransport] = {}
    async with (
        registry_upstream(
            registry_demo_database, keys, "svc-assessment", transport=registry_transport
        ) as registry,
        assessment_sources(
            registry=registry,
            upstream_registry=demo_registry_client,  # their own reads are not counted here
            activity_database=activity_demo_database,
            requests_database=requests_demo_database,
            keys=keys,
            blob_root=tmp_path,
            transports=transports,
        ) as sources,
        serve_assessment(assessment_database, keys, sources) as app,
    ):
        yield Counted(
            app, registry_transport, transports["activity"], transports["service-requests"]
        )


def org_system() -> dict[str, Any]:
    """Every automatic indicator of an organization target, one per source."""

    def auto(code: str, metric: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": code,
            "name": code,
            "kind": "auto",
            "max_score": 10,
            "metric": metric,
            "method": method,
            "params": params,
        }

    return {
        "code": "bulk-org-test",
        "name": "批量读取测试体系",
        "target_kind": "org",
        "grade_bands": {"excellent": 90, "good": 80, "fair": 60},
        "rectification_below": 60,
        "veto_cap": 59,
        "incentive_share": 0.2,
        "appeal_days": 10,
        "dimensions": [
            {
                "code": "reg",
                "name": "覆盖",
                "weight": 30,
                "indicators": [
                    auto("reg.units", "registry.unit_coverage_rate", "ratio", {"target": 1.0})
                ],
            },
            {
                "code": "act",
                "name": "组织生活",
                "weight": 40,
                "indicators": [
                    auto(
                        "act.compliance",
                        "activity.compliance_rate",
                        "linear",
                        {"floor": 0.5, "target": 1.0},
                    ),
                    auto("act.count", "activity.activities", "bands", {"bands": [[1, 1.0]]}),
                ],
            },
            {
                "code": "req",
                "name": "群众满意",
                "weight": 30,
                "indicators": [
                    auto("req.sat", "requests.satisfaction_rate", "ratio", {"target": 1.0})
                ],
            },
        ],
    }


async def org_cycle(app: AssessmentApp) -> tuple[str, list[dict[str, Any]]]:
    h = app.assessor()
    system = await app.ok("POST", "/systems", h, json=org_system())
    cycle = await app.ok(
        "POST",
        "/cycles",
        h,
        json={
            "name": "全市党组织批量考核",
            "system_id": system["id"],
            "year": YEAR,
            "org_kinds": ORG_KINDS,
        },
    )
    await app.ok("POST", f"/cycles/{cycle['id']}/open", h)
    results = await app.ok("GET", f"/cycles/{cycle['id']}/results", h)
    return str(cycle["id"]), results["items"]


async def test_a_recompute_makes_at_most_one_call_per_100_targets_and_source(
    counted: Counted,
) -> None:
    app, h = counted.app, counted.app.assessor()
    cid, items = await org_cycle(app)
    n = len(items)
    assert n > TARGETS_PER_CALL  # the demo city: more than one batch per source
    assert all(r["unavailable_sources"] == [] for r in items)
    counted.clear()
    await app.ok("POST", f"/cycles/{cid}/recompute", h)
    calls = math.ceil(n / TARGETS_PER_CALL)
    assert dict(counted.registry.calls) == {("POST", REGISTRY_STATISTICS): calls}
    assert dict(counted.activity.calls) == {("POST", ACTIVITY_STATISTICS): calls}
    assert dict(counted.requests.calls) == {("POST", REQUESTS_STATISTICS): calls}
    # the figures are each target's own: one organization's evidence names its own scope
    target = items[0]["target_id"]
    detail = await app.ok("GET", f"/cycles/{cid}/targets/{target}", h)
    by_code = {i["code"]: i for d in detail["dimensions"] for i in d["indicators"]}
    evidence = by_code["req.sat"]["evidence"]
    assert (evidence["path"], evidence["params"]) == (
        REQUESTS_STATISTICS,
        {"within": target, "from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"},
    )
    single = (
        await app.sources.requests.get(
            "/api/service-requests/statistics",
            params={"within": target, "from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"},
        )
    ).json()
    assert evidence["value"] == single["overall"]["satisfaction_rate"]
    registry = by_code["reg.units"]["evidence"]
    assert (registry["path"], registry["params"]) == (
        REGISTRY_STATISTICS,
        {"within": target, "on": f"{YEAR}-12-31"},
    )


async def test_an_alliance_cycle_reads_each_source_once(counted: Counted) -> None:
    app, h = counted.app, counted.app.assessor()
    cycle = await app.ok(
        "POST",
        "/cycles",
        h,
        json={"name": "全市联合体考核", "system_id": DEFAULT_SYSTEM, "year": YEAR},
    )
    counted.clear()
    await app.ok("POST", f"/cycles/{cycle['id']}/open", h)
    # opening: the alliance list page, then ONE lookup for every lead's ancestry (no call per
    # alliance), then the first compute's one lookup
    assert counted.registry.count("POST", ALLIANCE_LOOKUPS) == 2
    assert counted.registry.count("GET", "/api/registry/alliances") == 1
    assert counted.registry.total() == 3
    counted.clear()
    await app.ok("POST", f"/cycles/{cycle['id']}/recompute", h)
    assert dict(counted.registry.calls) == {("POST", ALLIANCE_LOOKUPS): 1}
    assert dict(counted.activity.calls) == {("POST", ACTIVITY_STATISTICS): 1}
    assert dict(counted.requests.calls) == {("POST", REQUESTS_STATISTICS): 1}
    results = await app.ok("GET", f"/cycles/{cycle['id']}/results", h)
    assert len(results["items"]) > 10
    assert all(r["unavailable_sources"] == [] for r in results["items"])


async def test_a_failing_batch_marks_only_its_targets_unavailable_until_a_recompute(
    counted: Counted,
) -> None:
    app, h = counted.app, counted.app.assessor()
    cid, items = await org_cycle(app)
    last = items[-1]["target_id"] if items else ""
    counted.activity.failing = f'"{last}"'  # the batch naming this target answers 503
    counted.clear()
    await app.ok("POST", f"/cycles/{cid}/recompute", h)
    assert len(counted.activity.refused) == 3  # the read was retried (idempotent), in vain
    failed = {s["within"] for s in counted.activity.refused[0]["scopes"]}
    assert last in failed
    assert 0 < len(failed) <= TARGETS_PER_CALL < len(items)
    results = {
        r["target_id"]: r for r in (await app.ok("GET", f"/cycles/{cid}/results", h))["items"]
    }
    for target_id, result in results.items():
        if target_id in failed:
            assert result["unavailable_sources"] == ["activity"], result
            assert (result["status"], result["total"]) == ("incomplete", None)
        else:
            assert result["unavailable_sources"] == [], result
            assert result["status"] == "complete"
    detail = await app.ok("GET", f"/cycles/{cid}/targets/{last}", h)
    by_code = {i["code"]: i for d in detail["dimensions"] for i in d["indicators"]}
    assert by_code["act.compliance"]["status"] == "unavailable"
    assert by_code["act.compliance"]["points"] is None  # never zero
    assert "503" in by_code["act.compliance"]["evidence"]["error"]
    assert by_code["req.sat"]["status"] in ("scored", "no_data")  # the other sources answered
    counted.activity.failing = None
    await app.ok("POST", f"/cycles/{cid}/recompute", h)
    again = (await app.ok("GET", f"/cycles/{cid}/results", h))["items"]
    assert all(r["unavailable_sources"] == [] for r in again)
    assert {r["status"] for r in again} == {"complete"}
