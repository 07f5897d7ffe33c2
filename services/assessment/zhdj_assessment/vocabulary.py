"""Stable English codes of the assessment service, with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class TargetKind(StrEnum):
    ALLIANCE = "alliance"
    ORG = "org"


class IndicatorKind(StrEnum):
    DIMENSION = "dimension"  # a branch of the tree: a weight over its indicators
    AUTO = "auto"  # scored from a metric read from another service
    MANUAL = "manual"  # scored by an assessor, with evidence


class Method(StrEnum):
    BANDS = "bands"  # the first band whose threshold the value reaches
    LINEAR = "linear"  # 0 at the floor, full at the target, linear between
    RATIO = "ratio"  # value / target, capped at full


class ScoreStatus(StrEnum):
    SCORED = "scored"
    NO_DATA = "no_data"  # the source answered and has no figure (e.g. nothing rated): 0 points
    UNAVAILABLE = "unavailable"  # the source could not be read: unknown, never 0
    PENDING = "pending"  # a manual indicator not scored yet


class CycleStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    FINALIZED = "finalized"
    PUBLISHED = "published"


CYCLE_TRANSITIONS: dict[CycleStatus, CycleStatus] = {
    CycleStatus.DRAFT: CycleStatus.OPEN,
    CycleStatus.OPEN: CycleStatus.FINALIZED,
    CycleStatus.FINALIZED: CycleStatus.PUBLISHED,
}


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


GRADE_LABELS: dict[Grade, str] = {
    Grade.EXCELLENT: "优秀",
    Grade.GOOD: "良好",
    Grade.FAIR: "一般",
    Grade.POOR: "较差",
}


class AppealStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
