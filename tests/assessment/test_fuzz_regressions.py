"""Regressions found by the API fuzzing run (tests/fuzz)."""

from __future__ import annotations

import pytest

from tests.assessment.conftest import BASE, AssessmentApp, assert_problem


@pytest.mark.parametrize("period", ["0000", "0000-Q1", "1899", "3000"])
async def test_a_city_report_outside_the_supported_years_is_422_not_500(
    assessment: AssessmentApp, period: str
) -> None:
    # `?period=0000` reached date(0, 1, 1): ValueError, 500.
    response = await assessment.client.get(
        f"{BASE}/reports/city", params={"period": period}, headers=assessment.assessor()
    )
    assert_problem(response, 422)
