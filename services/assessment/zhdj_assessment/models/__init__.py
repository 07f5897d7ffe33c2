"""Every table of the assessment service (importing this module registers them)."""

from zhdj_assessment.models.base import AssessmentModel
from zhdj_assessment.models.cycles import Appeal, Cycle, CycleTarget, Score, ScoreChange
from zhdj_assessment.models.systems import Indicator, IndicatorSystem

__all__ = [
    "Appeal",
    "AssessmentModel",
    "Cycle",
    "CycleTarget",
    "Indicator",
    "IndicatorSystem",
    "Score",
    "ScoreChange",
]
