"""The scoring rules as pure functions, against values computed by hand."""

from __future__ import annotations

import pytest

from zhdj_assessment import scoring
from zhdj_assessment.scoring import LeafScore
from zhdj_assessment.sources import Period
from zhdj_assessment.vocabulary import Grade

BANDS = {"bands": [[10, 1.0], [6, 0.8], [3, 0.6]]}


@pytest.mark.parametrize(
    ("value", "expected"), [(12, 1.0), (10, 1.0), (7, 0.8), (6, 0.8), (3, 0.6), (2.9, 0.0)]
)
def test_bands_take_the_best_band_reached(value: float, expected: float) -> None:
    assert scoring.fraction("bands", BANDS, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 0.0), (0.6, 0.0), (0.7, 0.25), (0.9, 0.75), (1.0, 1.0), (1.2, 1.0)],
)
def test_linear_between_floor_and_target(value: float, expected: float) -> None:
    assert scoring.fraction("linear", {"floor": 0.6, "target": 1.0}, value) == pytest.approx(
        expected
    )


def test_linear_where_lower_is_better() -> None:
    # 10 overdue requests is the floor (0), 0 overdue the target (full): 4 overdue → 0.6
    assert scoring.fraction("linear", {"floor": 10, "target": 0}, 4) == pytest.approx(0.6)


def test_ratio_against_a_target() -> None:
    assert scoring.fraction("ratio", {"target": 0.8}, 0.6) == pytest.approx(0.75)
    assert scoring.fraction("ratio", {}, 0.45) == pytest.approx(0.45)
    assert scoring.fraction("ratio", {"target": 0.8}, 0.9) == 1.0


def test_parameters_are_validated() -> None:
    assert scoring.validate_params("linear", {"floor": 1, "target": 1}) is not None
    assert scoring.validate_params("bands", {"bands": [[1, 2.0]]}) is not None
    assert scoring.validate_params("ratio", {"target": 0}) is not None
    assert scoring.validate_params("linear", {"floor": 0}) is not None
    assert scoring.validate_params("bands", BANDS) is None


def _leaf(i: str, dim: str, max_: float, fraction: float | None, **kw: object) -> LeafScore:
    status = "pending" if fraction is None else "scored"
    return LeafScore(i, dim, max_, str(kw.pop("status", status)), fraction, **kw)  # type: ignore[arg-type]


def test_total_weights_dimensions_by_their_indicators_points() -> None:
    # D1 (weight 60): 8/10 and 2/5 → 10/15 of 60 = 40; D2 (weight 40): 3/4 → 30. Total 70.
    leaves = [
        _leaf("a", "D1", 10, 0.8),
        _leaf("b", "D1", 5, 0.4),
        _leaf("c", "D2", 4, 0.75),
    ]
    result = scoring.total({"D1": 60, "D2": 40}, leaves, veto_cap=59)
    assert result.dimensions == {"D1": 40.0, "D2": 30.0}
    assert (result.total, result.complete, result.vetoed) == (70.0, True, False)


def test_a_failed_veto_caps_the_total() -> None:
    leaves = [_leaf("a", "D1", 10, 1.0), _leaf("v", "V", 1, 0.0, veto=True)]
    result = scoring.total({"D1": 100, "V": 0}, leaves, veto_cap=59)
    assert (result.total, result.known_points, result.vetoed) == (59, 100.0, True)
    passed = scoring.total(
        {"D1": 100, "V": 0}, [leaves[0], _leaf("v", "V", 1, 1.0, veto=True)], veto_cap=59
    )
    assert (passed.total, passed.vetoed) == (100.0, False)


def test_unknown_indicators_leave_the_total_unknown_never_zero() -> None:
    leaves = [
        _leaf("a", "D1", 10, 0.5),
        _leaf("b", "D1", 10, None, status="unavailable"),
        _leaf("c", "D2", 10, None),  # pending manual
    ]
    result = scoring.total({"D1": 50, "D2": 50}, leaves, veto_cap=59)
    assert result.total is None
    assert not result.complete
    assert result.unknown == ["b", "c"]
    assert result.known_points == 12.5  # a floor: 5 of 20 points of D1's 50


def test_no_data_counts_as_known_zero() -> None:
    result = scoring.total({"D1": 100}, [_leaf("a", "D1", 10, 0.0, status="no_data")], veto_cap=59)
    assert (result.total, result.complete) == (0.0, True)


def test_grade_bands() -> None:
    bands = {"excellent": 90, "good": 80, "fair": 60}
    assert [scoring.grade(t, bands) for t in (95, 90, 89.99, 80, 60, 59.99)] == [
        Grade.EXCELLENT,
        Grade.EXCELLENT,
        Grade.GOOD,
        Grade.GOOD,
        Grade.FAIR,
        Grade.POOR,
    ]


def test_competition_ranking_with_ties() -> None:
    ranks = scoring.competition_ranks({"a": 100, "b": 80, "c": 80, "d": 59, "e": 80})
    assert ranks == {"a": 1, "b": 2, "c": 2, "e": 2, "d": 5}


def test_incentive_share_and_rectification() -> None:
    assert scoring.incentive_cutoff(4, 0.25) == 1
    assert scoring.incentive_cutoff(5, 0.25) == 2  # the top quarter, rounded up
    assert scoring.incentive_cutoff(3, 0.01) == 1
    assert scoring.incentive_cutoff(0, 0.2) == 0
    assert scoring.on_rectification(59.9, False, 60)
    assert not scoring.on_rectification(60, False, 60)
    assert scoring.on_rectification(95, True, 60)


def test_periods() -> None:
    assert (Period(2026).start.isoformat(), Period(2026).end.isoformat()) == (
        "2026-01-01",
        "2026-12-31",
    )
    q1, q4 = Period(2026, 1), Period(2026, 4)
    assert (q1.code, q1.start.isoformat(), q1.end.isoformat()) == (
        "2026-Q1",
        "2026-01-01",
        "2026-03-31",
    )
    assert (q4.start.isoformat(), q4.end.isoformat()) == ("2026-10-01", "2026-12-31")
    assert Period(2026, 2).end.isoformat() == "2026-06-30"


# --- a member organization's result and its alliances' grades ------------------------------

TABLE = {"excellent": 3, "good": 1, "fair": 0, "poor": -5}


def test_alliance_adjustment_is_the_mean_of_the_alliances_points() -> None:
    assert scoring.alliance_adjustment([], TABLE) is None  # in no assessed alliance
    assert scoring.alliance_adjustment(["excellent"], TABLE) == 3.0
    assert scoring.alliance_adjustment(["poor", "fair"], TABLE) == -2.5  # (-5 + 0) / 2
    assert scoring.alliance_adjustment(["excellent", "good", "good"], TABLE) == 1.67  # 5 / 3
    assert scoring.alliance_adjustment(["good"], {"excellent": 2}) == 0.0  # missing: 0


def test_adjusted_total_stays_within_bounds_and_under_the_veto_cap() -> None:
    assert scoring.adjusted_total(79.5, 1.0, 100, False, 59) == 80.5
    assert scoring.adjusted_total(99.0, 3.0, 100, False, 59) == 100.0  # never above the maximum
    assert scoring.adjusted_total(2.0, -5.0, 100, False, 59) == 0.0  # never below 0
    assert scoring.adjusted_total(82.0, -2.5, 100, False, 59) == 79.5
    assert scoring.adjusted_total(58.0, 3.0, 100, True, 59) == 59.0  # a bonus: still capped
    assert scoring.adjusted_total(58.0, -5.0, 100, True, 59) == 53.0
    assert scoring.adjusted_total(70.0, None, 100, False, 59) == 70.0
