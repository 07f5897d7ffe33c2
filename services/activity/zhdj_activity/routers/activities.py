"""``/api/activity/activities``: plan, record, approve, cancel; the event log and its check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhdj_activity.models import Activity
from zhdj_activity.repositories.activities import ActivityFilters
from zhdj_activity.routers.deps import Activities, Id, OncePerKey, Paging, Reader, Writer
from zhdj_activity.schemas.activities import (
    ActivityCreate,
    ActivityRead,
    ActivityTypeRead,
    ChainVerdict,
    CorrectionBody,
    EventRead,
    ParticipantRead,
    ReasonBody,
    RecordSubmit,
)
from zhdj_activity.services.activities import ActivityService
from zhdj_activity.vocabulary import ActivityStatus, PartyKind
from zhdj_shared.errors import problem_responses
from zhdj_shared.pagination import Page

PREFIX = "/api/activity/activities"
router = APIRouter(prefix=PREFIX, tags=["activities"])
types_router = APIRouter(prefix="/api/activity/types", tags=["activities"])


async def reads(service: ActivityService, activities: list[Activity]) -> list[ActivityRead]:
    labels = await service.type_labels()
    partners = await service.partners(activities)
    return [
        ActivityRead.of(
            a,
            labels.get(a.type_code, a.type_code),
            [ParticipantRead(kind=PartyKind(p.party_kind), id=p.party_id) for p in partners[a.id]],
        )
        for a in activities
    ]


async def read(service: ActivityService, activity: Activity) -> ActivityRead:
    return (await reads(service, [activity]))[0]


@types_router.get("", summary="Activity types (data, with Chinese labels)")
async def list_types(_principal: Reader, service: Activities) -> list[ActivityTypeRead]:
    return [ActivityTypeRead.of(t) for t in await service.repository.types()]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityRead,
    summary="Plan an activity of an organization or alliance (joint: with partners); "
    "a retry with the same Idempotency-Key plans nothing new",
    responses=problem_responses(403, 422, 503),
)
async def create_activity(
    body: ActivityCreate, principal: Writer, service: Activities, once: OncePerKey
) -> Response:
    async def plan() -> ActivityRead:
        return await read(service, await service.create(principal, body))

    return await once.answer(body, plan, location=lambda created: f"{PREFIX}/{created['id']}")


@router.get(
    "",
    summary="List activities (party, subtree, status, type, time)",
    responses=problem_responses(404, 503),
)
async def list_activities(
    _principal: Reader,
    service: Activities,
    page: Paging,
    party_id: Annotated[
        str | None, Query(max_length=64, description="Owner or joint partner")
    ] = None,
    within: Annotated[
        str | None, Query(max_length=64, description="Owned in this organization's subtree")
    ] = None,
    status: ActivityStatus | None = None,
    type_code: Annotated[str | None, Query(max_length=64)] = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
) -> Page[ActivityRead]:
    filters = ActivityFilters(
        party_id=party_id,
        status=status.value if status else None,
        type_code=type_code,
        starts_from=starts_from,
        starts_before=starts_before,
    )
    items, next_cursor = await service.list_page(filters, within, page)
    return Page(items=await reads(service, items), next_cursor=next_cursor)


@router.get("/{activity_id}", summary="One activity", responses=problem_responses(404))
async def get_activity(activity_id: Id, _principal: Reader, service: Activities) -> ActivityRead:
    return await read(service, await service.get(activity_id))


@router.post(
    "/{activity_id}/record",
    summary="Submit the record of the held activity (planned or returned -> held)",
    responses=problem_responses(403, 404, 409),
)
async def submit_record(
    activity_id: Id, body: RecordSubmit, principal: Writer, service: Activities
) -> ActivityRead:
    return await read(service, await service.submit_record(principal, activity_id, body))


@router.post(
    "/{activity_id}/approve",
    summary="Approve the record (the supervising organization; held -> approved)",
    responses=problem_responses(403, 404, 409),
)
async def approve(activity_id: Id, principal: Writer, service: Activities) -> ActivityRead:
    return await read(service, await service.approve(principal, activity_id))


@router.post(
    "/{activity_id}/return",
    summary="Return the record with a reason (the supervising organization; held -> returned)",
    responses=problem_responses(403, 404, 409),
)
async def send_back(
    activity_id: Id, body: ReasonBody, principal: Writer, service: Activities
) -> ActivityRead:
    return await read(service, await service.send_back(principal, activity_id, body.reason))


@router.post(
    "/{activity_id}/cancel",
    summary="Cancel with a reason (planned or returned -> cancelled)",
    responses=problem_responses(403, 404, 409),
)
async def cancel(
    activity_id: Id, body: ReasonBody, principal: Writer, service: Activities
) -> ActivityRead:
    return await read(service, await service.cancel(principal, activity_id, body.reason))


@router.post(
    "/{activity_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    summary="Correct an approved record: a new event, never an edit in place",
    responses=problem_responses(403, 404, 409),
)
async def correct(
    activity_id: Id, body: CorrectionBody, principal: Writer, service: Activities
) -> EventRead:
    return EventRead.of(await service.correct(principal, activity_id, body))


@router.get(
    "/{activity_id}/events",
    summary="The activity's full-process record (全程纪实), oldest first",
    responses=problem_responses(404),
)
async def list_events(activity_id: Id, _principal: Reader, service: Activities) -> list[EventRead]:
    return [EventRead.of(e) for e in await service.events(activity_id)]


@router.get(
    "/{activity_id}/events/verify",
    summary="Verify the hash chain; reports the first broken link",
    responses=problem_responses(404),
)
async def verify_events(activity_id: Id, _principal: Reader, service: Activities) -> ChainVerdict:
    verdict = await service.verify(activity_id)
    return ChainVerdict(
        activity_id=activity_id,
        events=verdict.events,
        intact=verdict.intact,
        first_broken_seq=verdict.first_broken_seq,
        problem=verdict.problem,
    )
