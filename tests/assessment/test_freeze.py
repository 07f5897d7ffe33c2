"""A finalized cycle keeps its results when the sources' data CHANGE (not only when they go
down): an activity is added in the real activity app between the first computation and the
recompute; the open cycle's recompute moves, the finalized one refuses and stays identical."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.assessment.conftest import BASE, AssessmentApp, assert_problem
from tests.support.assessment_upstreams import assessment_sources
from tests.support.databases import isolated
from tests.support.tokens import TestKeys
from zhdj_activity.demo import _activity, _participant, demo_parties
from zhdj_activity.vocabulary import ActivityStatus
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import Database
from zhdj_shared.registry_client import RegistryClient

BRANCH = "demo-s-xinhua-chaoyang-c1-b1"


def counting_system() -> dict[str, Any]:
    """activities held / 1000 x 100 points: each activity is worth 0.1 point."""
    return {
        "code": "test-count",
        "name": "活动计数",
        "target_kind": "org",
        "grade_bands": {"excellent": 90, "good": 80, "fair": 60},
        "rectification_below": 60,
        "veto_cap": 59,
        "incentive_share": 0.5,
        "appeal_days": 10,
        "dimensions": [
            {
                "code": "a",
                "name": "活动",
                "weight": 100,
                "indicators": [
                    {
                        "code": "n",
                        "name": "开展活动次数",
                        "kind": "auto",
                        "max_score": 100,
                        "metric": "activity.activities",
                        "method": "ratio",
                        "params": {"target": 1000},
                    }
                ],
            }
        ],
    }


async def test_a_finalized_cycle_keeps_its_results_when_source_data_change(
    assessment: AssessmentApp,
    demo_registry_client: RegistryClient,
    activity_demo_database: Database,
    requests_demo_database: Database,
    keys: TestKeys,
    tmp_path: Path,
) -> None:
    party = next(p for p in demo_parties() if p.id == BRANCH)
    async with (
        isolated(activity_demo_database) as activity_view,
        assessment_sources(
            registry=demo_registry_client,
            activity_database=activity_demo_database,
            requests_database=requests_demo_database,
            keys=keys,
            blob_root=tmp_path,
            activity_view=activity_view,
        ) as sources,
    ):
        assessment.use_sources(sources)
        h = assessment.assessor()
        system = await assessment.ok("POST", "/systems", h, json=counting_system())
        year = today_in_china().year
        ids = {}
        for name in ("frozen", "open"):
            cycle = await assessment.ok(
                "POST",
                "/cycles",
                h,
                json={
                    "name": name,
                    "system_id": system["id"],
                    "year": year,
                    "target_ids": [BRANCH],
                },
            )
            await assessment.ok("POST", f"/cycles/{cycle['id']}/open", h)
            ids[name] = cycle["id"]
        await assessment.ok("POST", f"/cycles/{ids['frozen']}/finalize", h)
        frozen_results = await assessment.ok("GET", f"/cycles/{ids['frozen']}/results", h)
        frozen_detail = await assessment.ok("GET", f"/cycles/{ids['frozen']}/targets/{BRANCH}", h)
        before = await assessment.ok("GET", f"/cycles/{ids['open']}/results", h)
        (row,) = before["items"]
        held = frozen_detail["dimensions"][0]["indicators"][0]["value"]
        assert held > 0
        assert row["total"] == frozen_results["items"][0]["total"] == pytest.approx(held / 10)

        # the source's data change: one more activity held by the branch this year
        day = max(today_in_china() - timedelta(days=1), today_in_china().replace(month=1, day=1))
        activity = _activity(party, "themed_party_day", day, ActivityStatus.APPROVED)
        async with activity_view.session() as session:
            session.add(activity)
            await session.flush()
            session.add(_participant(party, activity, day))

        # the open cycle moves on recompute ...
        await assessment.ok("POST", f"/cycles/{ids['open']}/recompute", h)
        (moved,) = (await assessment.ok("GET", f"/cycles/{ids['open']}/results", h))["items"]
        assert moved["total"] == pytest.approx((held + 1) / 10)
        # ... the finalized one refuses and stays identical, evidence included
        assert_problem(
            await assessment.client.post(f"{BASE}/cycles/{ids['frozen']}/recompute", headers=h),
            409,
        )
        assert await assessment.ok("GET", f"/cycles/{ids['frozen']}/results", h) == frozen_results
        after = await assessment.ok("GET", f"/cycles/{ids['frozen']}/targets/{BRANCH}", h)
        assert after == frozen_detail
