"""Cadence rules, exemptions, compliance, statistics and the iCalendar feed."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from zhdj_activity import feeds, ical
from zhdj_activity import registry as reg
from zhdj_activity.periods import parse_period
from zhdj_activity.repositories.activities import ActivityFilters
from zhdj_activity.routers.deps import Activities, Cadence, Compliance, Id, Reader, Writer
from zhdj_activity.schemas.reports import (
    ComplianceRead,
    ExemptionCreate,
    ExemptionRead,
    RuleRead,
    RuleUpdate,
    SecretaryLectureCheck,
    StatisticsBatchItem,
    StatisticsBatchRead,
    StatisticsBatchRequest,
    StatisticsRead,
)
from zhdj_activity.services.access import require_reader_of_path
from zhdj_activity.services.statistics import StatisticsService
from zhdj_activity.vocabulary import ActivityStatus
from zhdj_shared.batch import ItemProblem
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import utcnow
from zhdj_shared.errors import (
    FieldError,
    Forbidden,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from zhdj_shared.security.authz import Principal, optional_principal
from zhdj_shared.security.scopes import Scope

BASE = "/api/activity"
router = APIRouter(prefix=BASE, tags=["compliance"])

PeriodQuery = Annotated[
    str, Query(min_length=4, max_length=7, description="2026, 2026-H1, 2026-Q1 or 2026-03")
]


@router.get("/cadence-rules", summary="Cadence rules (data, seeded from the defaults)")
async def list_rules(_principal: Reader, service: Cadence) -> list[RuleRead]:
    return [RuleRead.of(r) for r in await service.rules()]


@router.patch(
    "/cadence-rules/{code}",
    summary="Change a cadence rule (platform administrators)",
    responses=problem_responses(403, 404),
)
async def update_rule(code: Id, body: RuleUpdate, principal: Writer, service: Cadence) -> RuleRead:
    return RuleRead.of(await service.update_rule(principal, code, body))


@router.post(
    "/exemptions",
    status_code=status.HTTP_201_CREATED,
    summary="Exempt an organization or alliance from a rule (or all) for some days",
    responses=problem_responses(403, 422, 503),
)
async def create_exemption(
    body: ExemptionCreate, principal: Writer, service: Cadence
) -> ExemptionRead:
    return ExemptionRead.of(await service.exempt(principal, body))


@router.get("/exemptions", summary="Exemptions of a party")
async def list_exemptions(
    _principal: Reader, service: Cadence, party_id: Annotated[str, Query(max_length=64)]
) -> list[ExemptionRead]:
    return [ExemptionRead.of(e) for e in await service.exemptions_of(party_id)]


@router.get(
    "/compliance/organizations/{org_id}",
    summary="Cadence compliance of an organization, or its whole subtree, for a period",
    responses=problem_responses(403, 404, 422, 503),
)
async def org_compliance(
    org_id: Id,
    principal: Reader,
    service: Compliance,
    period: PeriodQuery,
    subtree: bool = False,
    detail: Annotated[bool, Query(description="Every window (single organization)")] = False,
) -> ComplianceRead:
    window = parse_period(period)
    parties, scope, path = await service.parties_of_org(org_id, subtree)
    require_reader_of_path(principal, path)
    report = await service.report(parties, scope, window, keep_all=detail and not subtree)
    return ComplianceRead.of(report, detail=detail and not subtree)


@router.get(
    "/compliance/alliances/{alliance_id}",
    summary="Cadence compliance of an alliance for a period",
    responses=problem_responses(403, 404, 422, 503),
)
async def alliance_compliance(
    alliance_id: Id,
    principal: Reader,
    service: Compliance,
    period: PeriodQuery,
    detail: bool = False,
) -> ComplianceRead:
    window = parse_period(period)
    parties, scope, path = await service.party_of_alliance(alliance_id)
    require_reader_of_path(principal, path)
    return ComplianceRead.of(await service.report(parties, scope, window), detail=detail)


@router.get(
    "/compliance/alliances/{alliance_id}/secretary-lectures",
    summary="Did every member organization's secretary give a lecture in the alliance this year",
    responses=problem_responses(404, 503),
)
async def secretary_lectures(
    alliance_id: Id,
    _principal: Reader,
    service: Compliance,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> SecretaryLectureCheck:
    year = year or today_in_china().year
    rows = await service.secretary_lectures(alliance_id, year)
    return SecretaryLectureCheck.of(alliance_id, year, rows)


@router.get(
    "/statistics",
    summary="Figures for assessment and dashboards (one of org_id, within, alliance_id)",
    responses=problem_responses(403, 404, 422, 503),
)
async def statistics(
    principal: Reader,
    service: Compliance,
    activities: Activities,
    period: PeriodQuery,
    org_id: Annotated[str | None, Query(max_length=64)] = None,
    within: Annotated[str | None, Query(max_length=64, description="A subtree")] = None,
    alliance_id: Annotated[str | None, Query(max_length=64)] = None,
) -> StatisticsRead:
    window = parse_period(period)
    chosen = [
        (k, v) for k, v in (("org", org_id), ("within", within), ("alliance", alliance_id)) if v
    ]
    if len(chosen) != 1:
        raise Unprocessable(
            "give exactly one of org_id, within, alliance_id",
            errors=[FieldError(field="org_id", message="exactly one scope")],
        )
    kind, party = chosen[0]
    if kind == "alliance":
        parties, scope, path = await service.party_of_alliance(party)
    else:
        parties, scope, path = await service.parties_of_org(party, subtree=kind == "within")
    require_reader_of_path(principal, path)
    labels = await activities.type_labels()
    return await StatisticsService(service).figures(
        f"{kind}:{party}", parties, scope, window, labels
    )


@router.post(
    "/statistics/batch",
    summary="The figures of many scopes at once (each as GET /statistics; alliances' "
    "secretary-lecture checks when asked); a scope refused or unknown is its item's problem",
    responses=problem_responses(403, 422, 503),
)
async def statistics_batch(
    body: StatisticsBatchRequest, principal: Reader, service: Compliance, activities: Activities
) -> StatisticsBatchRead:
    window = parse_period(body.period)
    refs = [s.ref() for s in body.scopes]
    labels = await activities.type_labels()
    outcomes = await StatisticsService(service).batch(
        principal, refs, window, labels, with_lectures=body.secretary_lectures
    )
    items = []
    for spec, ref in zip(body.scopes, refs, strict=True):
        outcome = outcomes[ref]
        lectures = (
            SecretaryLectureCheck.of(ref.id, window.start.year, outcome.lectures)
            if outcome.lectures is not None
            else None
        )
        items.append(
            StatisticsBatchItem(
                scope=spec,
                statistics=outcome.statistics,
                secretary_lectures=lectures,
                problem=ItemProblem.of(outcome.problem) if outcome.problem else None,
            )
        )
    return StatisticsBatchRead(
        period=body.period, period_start=window.start, period_end=window.end, items=items
    )


class CalendarLink(BaseModel):
    url: str = Field(description="Subscribe to this in a phone's calendar; keep it private")


@router.get(
    "/organizations/{org_id}/calendar-link",
    summary="A subscription link to the organization's calendar (no token needed to fetch it)",
)
async def calendar_link(org_id: Id, _principal: Reader, request: Request) -> CalendarLink:
    token = feeds.feed_token(request.app.state.calendar_key, org_id)
    return CalendarLink(url=f"{BASE}/organizations/{org_id}/calendar.ics?feed_token={token}")


@router.get(
    "/organizations/{org_id}/calendar.ics",
    summary="The organization's planned activities as an iCalendar feed (RFC 5545); "
    "a bearer token with activity:read or the feed_token of its subscription link",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **problem_responses(401, 403)},
)
async def calendar(
    org_id: Id,
    request: Request,
    activities: Activities,
    principal: Annotated[Principal | None, Depends(optional_principal)],
    feed_token: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    _authorize_feed(request, org_id, principal, feed_token)
    now = utcnow()
    filters = ActivityFilters(
        party_id=org_id,
        status=ActivityStatus.PLANNED.value,
        starts_from=now - timedelta(days=31),
    )
    rows, _ = await activities.repository.list_page(filters, limit=500, cursor=None)
    labels = await activities.type_labels()
    name = org_id
    try:
        org = await reg.organization(activities.registry, org_id)
        name = org.name if org else org_id
    except ServiceUnavailable:
        pass  # the feed works without the registry; only its title falls back to the id
    events = [
        ical.CalendarEvent(
            uid=f"{a.id}@activity.zhdj.local",
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            summary=f"【{labels.get(a.type_code, a.type_code)}】{a.title}",
            location=a.location,
            description=a.description,
            updated_at=a.updated_at,
        )
        for a in rows
    ]
    body = ical.calendar(f"{name} 党组织活动", events, now)
    return Response(
        content=body.encode(),
        media_type="text/calendar; charset=utf-8",
        # RFC 6266: the id may hold any character (CJK, quotes, CR/LF); only the percent-encoded
        # ``filename*`` carries it, a header cannot.
        headers={
            "Content-Disposition": (
                f"inline; filename=\"calendar.ics\"; filename*=UTF-8''{quote(org_id, safe='')}.ics"
            )
        },
    )


def _authorize_feed(
    request: Request, org_id: str, principal: Principal | None, token: str | None
) -> None:
    if principal is not None:
        if Scope.ACTIVITY_READ not in principal.scopes:
            raise Forbidden(f"missing scope: {Scope.ACTIVITY_READ.value}")
        return
    if token is None:
        raise Unauthorized("a bearer token or a feed_token is required")
    if not feeds.valid_feed_token(request.app.state.calendar_key, org_id, token):
        raise Forbidden("the feed token is not valid for this organization")
