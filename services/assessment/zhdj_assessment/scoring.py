"""The scoring rules, as pure functions (no I/O): an indicator's fraction and points, a target's
total with its veto, grade bands, competition ranking and the incentive share.

* An indicator earns ``fraction x max_score`` points, the fraction in [0, 1].
* A dimension earns ``weight x (its indicators' points / their maximum)``; the total is the sum
  of the dimensions (a system's weights normally add up to 100).
* A result is complete only when every indicator is known (scored or no_data); an unavailable
  source or an unscored manual indicator leaves the total unknown (``None``), never lowered.
* A failed veto indicator (一票否决: its fraction below ``veto_below``) caps the total at the
  system's ``veto_cap``.
* A member organization's total takes its alliances' grades into account
  (:func:`alliance_adjustment`, :func:`adjusted_total`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhdj_assessment.vocabulary import Grade, Method, ScoreStatus


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def fraction(method: str, params: Mapping[str, Any], value: float) -> float:
    """The share of an indicator's maximum that ``value`` earns under ``method``."""
    if method == Method.BANDS:
        # [[threshold, fraction], ...]: the best band reached; below every band: 0.
        reached = [float(f) for t, f in params["bands"] if value >= float(t)]
        return _clamp(max(reached, default=0.0))
    if method == Method.LINEAR:
        floor, target = float(params["floor"]), float(params["target"])
        return _clamp((value - floor) / (target - floor))
    if method == Method.RATIO:
        target = float(params.get("target", 1.0))
        return _clamp(value / target)
    raise ValueError(f"unknown method {method}")


def validate_params(method: str, params: Mapping[str, Any]) -> str | None:
    """Why ``params`` cannot drive ``method`` (None when they can)."""
    try:
        if method == Method.BANDS:
            bands = params["bands"]
            if not bands or any(len(b) != 2 or not 0 <= float(b[1]) <= 1 for b in bands):
                return "bands: a non-empty list of [threshold, fraction in 0..1]"
        elif method == Method.LINEAR:
            if float(params["floor"]) == float(params["target"]):
                return "linear: floor and target must differ"
        elif method == Method.RATIO:
            if float(params.get("target", 1.0)) <= 0:
                return "ratio: target must be positive"
        else:
            return f"unknown method {method}"
    except (KeyError, TypeError, ValueError) as exc:
        return f"{method}: bad parameters ({exc})"
    return None


def points(fraction_: float, max_score: float) -> float:
    return round(fraction_ * max_score, 4)


@dataclass(frozen=True)
class LeafScore:
    """One indicator of one target as the total sees it."""

    indicator_id: str
    dimension_id: str
    max_score: float
    status: str
    fraction: float | None  # None when unknown (unavailable, pending)
    veto: bool = False
    veto_below: float = 1.0

    @property
    def known(self) -> bool:
        return self.status in (ScoreStatus.SCORED, ScoreStatus.NO_DATA)

    @property
    def vetoed(self) -> bool:
        return self.veto and self.known and (self.fraction or 0.0) < self.veto_below


@dataclass(frozen=True)
class Total:
    total: float | None  # None while incomplete
    known_points: float  # what the known indicators already earn (a floor, for display)
    complete: bool
    vetoed: bool
    unknown: list[str] = field(default_factory=list)  # indicator ids
    dimensions: dict[str, float] = field(default_factory=dict)


def total(
    dimension_weights: Mapping[str, float], leaves: Sequence[LeafScore], veto_cap: float
) -> Total:
    by_dimension: dict[str, list[LeafScore]] = {d: [] for d in dimension_weights}
    for leaf in leaves:
        by_dimension[leaf.dimension_id].append(leaf)
    dimensions: dict[str, float] = {}
    for dim, weight in dimension_weights.items():
        group = by_dimension[dim]
        maximum = sum(leaf.max_score for leaf in group)
        earned = sum((leaf.fraction or 0.0) * leaf.max_score for leaf in group if leaf.known)
        dimensions[dim] = round(weight * earned / maximum, 4) if maximum else 0.0
    known_points = round(sum(dimensions.values()), 2)
    unknown = [leaf.indicator_id for leaf in leaves if not leaf.known]
    vetoed = any(leaf.vetoed for leaf in leaves)
    complete = not unknown
    value: float | None = None
    if complete:
        value = min(known_points, veto_cap) if vetoed else known_points
    return Total(
        total=value,
        known_points=known_points,
        complete=complete,
        vetoed=vetoed,
        unknown=unknown,
        dimensions=dimensions,
    )


def grade(total_: float, bands: Mapping[str, float]) -> Grade:
    """``bands``: the lowest total of 优秀, 良好 and 一般; anything lower is 较差."""
    for g in (Grade.EXCELLENT, Grade.GOOD, Grade.FAIR):
        if total_ >= float(bands[g.value]):
            return g
    return Grade.POOR


def competition_ranks(totals: Mapping[str, float]) -> dict[str, int]:
    """Standard competition ranking ("1224"): equal totals share a rank, the next is skipped."""
    ordered = sorted(totals.values(), reverse=True)
    first_position: dict[float, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return {key: first_position[value] for key, value in totals.items()}


def incentive_cutoff(count: int, share: float) -> int:
    """Ranks up to this one make the incentive list (the top ``share``, at least one)."""
    return max(1, math.ceil(count * share)) if count else 0


def on_rectification(total_: float, vetoed: bool, threshold: float) -> bool:
    return vetoed or total_ < threshold


def alliance_adjustment(grades: Sequence[str], table: Mapping[str, float]) -> float | None:
    """The points a member organization's total moves by because of its alliances' grades.

    ``grades``: the grades of the published alliance results of the same period for every
    alliance the organization is a current member of; ``table``: the system's points per grade
    (e.g. ``{"excellent": 3, "good": 1, "fair": 0, "poor": -5}``, a missing grade 0). A member of
    several alliances gets the mean of their points (rounded to 2 decimals); a member of none
    (or of none assessed) gets ``None``: no adjustment.
    """
    if not grades:
        return None
    return round(sum(float(table.get(g, 0.0)) for g in grades) / len(grades), 2)


def adjusted_total(
    base: float, adjustment: float | None, maximum: float, vetoed: bool, veto_cap: float
) -> float:
    """``base + adjustment`` kept within ``[0, maximum]`` (``maximum``: the sum of the system's
    weights), then the veto cap again: a bonus never lifts a failed veto above the cap."""
    value = base if adjustment is None else max(0.0, min(maximum, base + adjustment))
    value = round(value, 2)
    return min(value, veto_cap) if vetoed else value
