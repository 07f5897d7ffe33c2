"""API shapes of cadence rules, exemptions, compliance and statistics."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, model_validator

from zhdj_activity.models import CadenceExemption, CadenceRule
from zhdj_activity.schemas.common import Reason, RowId, Strict
from zhdj_activity.services.compliance import NOTABLE_CAP, Report, SecretaryLecture, WindowResult
from zhdj_activity.services.scope_refs import ScopeKind, ScopeRef
from zhdj_activity.vocabulary import PERIOD_LABELS, AppliesTo, PartyKind, Period
from zhdj_shared.batch import BATCH_LIMIT, BatchId, ItemProblem


class RuleRead(BaseModel):
    code: str
    label_zh: str
    activity_type: str
    applies_to: AppliesTo
    period: Period
    period_label: str
    min_count: int
    active: bool

    @classmethod
    def of(cls, rule: CadenceRule) -> RuleRead:
        period = Period(rule.period)
        return cls(
            code=rule.code,
            label_zh=rule.label_zh,
            activity_type=rule.activity_type,
            applies_to=AppliesTo(rule.applies_to),
            period=period,
            period_label=PERIOD_LABELS[period],
            min_count=rule.min_count,
            active=rule.active,
        )


class RuleUpdate(Strict):
    period: Period | None = None
    min_count: int | None = Field(default=None, ge=1, le=100)
    active: bool | None = None


class ExemptionCreate(Strict):
    party_kind: PartyKind = PartyKind.ORG
    party_id: RowId
    rule_code: RowId | None = Field(default=None, description="Omit to exempt from every rule")
    start_on: date
    end_on: date = Field(description="Inclusive")
    reason: Reason

    @model_validator(mode="after")
    def _ordered(self) -> ExemptionCreate:
        if self.end_on < self.start_on:
            raise ValueError("end_on is before start_on")
        return self


class ExemptionRead(BaseModel):
    id: str
    party_id: str
    rule_code: str | None
    start_on: date
    end_on: date
    reason: str
    created_by: str

    @classmethod
    def of(cls, row: CadenceExemption) -> ExemptionRead:
        return cls.model_validate(row, from_attributes=True)


class WindowRead(BaseModel):
    party_id: str
    rule_code: str
    start: date
    end: date
    required: bool
    held: int
    min_count: int
    state: str = Field(description="met | overdue | due_soon | open | exempt")

    @classmethod
    def of(cls, r: WindowResult) -> WindowRead:
        return cls(
            party_id=r.party_id,
            rule_code=r.rule_code,
            start=r.window.start,
            end=r.window.end,
            required=r.required,
            held=r.held,
            min_count=r.min_count,
            state=r.state,
        )


class ComplianceRead(BaseModel):
    period_start: date
    period_end: date
    parties: int
    required: int = Field(description="Required windows (rule x period unit x party)")
    held: int = Field(description="Required windows met")
    missing: int
    overdue: int
    due_soon: int
    exempt: int
    rate: float | None
    missing_items: list[WindowRead]
    due_soon_items: list[WindowRead]
    windows: list[WindowRead] | None = Field(
        default=None, description="Every window (detail=true, single party scopes)"
    )

    @classmethod
    def of(cls, report: Report, *, detail: bool) -> ComplianceRead:
        missing = [r for r in report.results if r.required and not r.met]
        return cls(
            period_start=report.period.start,
            period_end=report.period.end,
            parties=len(report.parties),
            required=report.required,
            held=report.met,
            missing=report.missing,
            overdue=report.count("overdue"),
            due_soon=report.count("due_soon"),
            exempt=report.count("exempt"),
            rate=report.rate,
            missing_items=[WindowRead.of(r) for r in missing[:NOTABLE_CAP]],
            due_soon_items=[WindowRead.of(r) for r in report.results if r.state == "due_soon"][
                :NOTABLE_CAP
            ],
            windows=[WindowRead.of(r) for r in report.results] if detail else None,
        )


class SecretaryLectureRead(BaseModel):
    org_id: str
    org_name: str
    secretary_id: str | None
    secretary_name: str | None
    lectures: int
    met: bool

    @classmethod
    def of(cls, row: SecretaryLecture) -> SecretaryLectureRead:
        return cls(
            org_id=row.org_id,
            org_name=row.org_name,
            secretary_id=row.secretary_id,
            secretary_name=row.secretary_name,
            lectures=row.lectures,
            met=row.met,
        )


class SecretaryLectureCheck(BaseModel):
    alliance_id: str
    year: int
    all_met: bool
    members: list[SecretaryLectureRead]

    @classmethod
    def of(cls, alliance_id: str, year: int, rows: list[SecretaryLecture]) -> SecretaryLectureCheck:
        return cls(
            alliance_id=alliance_id,
            year=year,
            all_met=all(r.met for r in rows),
            members=[SecretaryLectureRead.of(r) for r in rows],
        )


class TypeCount(BaseModel):
    type_code: str
    label_zh: str
    count: int


class StatisticsRead(BaseModel):
    scope: str
    period_start: date
    period_end: date
    activities: int
    by_type: list[TypeCount]
    compliance_rate: float | None
    attendance_rate: float | None
    roster_places: int
    present: int
    volunteer_hours: float
    volunteer_person_times: int


class ScopeSpec(Strict):
    """Exactly one of ``alliance_id``, ``within`` (a subtree) or ``org_id`` (one organization),
    as the single ``GET /statistics`` takes them."""

    alliance_id: BatchId | None = None
    within: BatchId | None = None
    org_id: BatchId | None = None

    @model_validator(mode="after")
    def _one(self) -> ScopeSpec:
        if sum(v is not None for v in (self.alliance_id, self.within, self.org_id)) != 1:
            raise ValueError("give exactly one of alliance_id, within, org_id")
        return self

    def ref(self) -> ScopeRef:
        if self.alliance_id is not None:
            return ScopeRef(ScopeKind.ALLIANCE, self.alliance_id)
        if self.within is not None:
            return ScopeRef(ScopeKind.WITHIN, self.within)
        assert self.org_id is not None
        return ScopeRef(ScopeKind.ORG, self.org_id)


class StatisticsBatchRequest(Strict):
    period: str = Field(min_length=4, max_length=7, description="2026, 2026-H1, 2026-Q1, 2026-03")
    scopes: list[ScopeSpec] = Field(
        max_length=BATCH_LIMIT, description=f"At most {BATCH_LIMIT}, answered in this order"
    )
    secretary_lectures: bool = Field(
        default=False,
        description="Also each alliance's secretary-lecture check for the period's year",
    )


class StatisticsBatchItem(BaseModel):
    scope: ScopeSpec
    statistics: StatisticsRead | None = Field(description="As GET /statistics gives it")
    secretary_lectures: SecretaryLectureCheck | None = Field(
        default=None, description="Alliances, when asked: as GET .../secretary-lectures?year="
    )
    problem: ItemProblem | None = Field(
        default=None, description="Why this scope has no figures (404 unknown, 403 not yours)"
    )


class StatisticsBatchRead(BaseModel):
    period: str
    period_start: date
    period_end: date
    items: list[StatisticsBatchItem]
