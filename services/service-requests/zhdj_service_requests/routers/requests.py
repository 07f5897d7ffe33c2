"""``/api/service-requests/requests``: submission (app, one tap, call, third party), queues,
one request with its timeline, workflow moves, extensions, duplicates and photos."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from zhdj_service_requests.models import IDEMPOTENCY_KEYS, ServiceRequest
from zhdj_service_requests.repositories.requests import RequestFilters
from zhdj_service_requests.routers.deps import Paging, Reader, Requests, Writer
from zhdj_service_requests.schemas.requests import (
    AttachmentRead,
    DispatchBody,
    DuplicateBody,
    EventRead,
    ExtensionBody,
    ExtensionDecision,
    Note,
    OneClickCreate,
    RateBody,
    Reason,
    RequestCreate,
    RequestDetail,
    RequestRead,
    ResolveBody,
)
from zhdj_service_requests.services import access
from zhdj_service_requests.services.attachments import AttachmentService
from zhdj_service_requests.services.requests import NewRequest
from zhdj_service_requests.workflow import Action, Status
from zhdj_shared.clock import today_in_china
from zhdj_shared.errors import Problem, problem_responses
from zhdj_shared.idempotency import IdempotencyGuard, IdempotencyKeyHeader, StoredResponse
from zhdj_shared.pagination import Page
from zhdj_shared.security.authz import Principal

PREFIX = "/api/service-requests/requests"
router = APIRouter(prefix=PREFIX, tags=["requests"])

RequestId = Annotated[str, "request id"]


def read(principal: Principal, row: ServiceRequest) -> RequestRead:
    return RequestRead.of(row, masked=access.masked_for(principal, row), today=today_in_china())


async def _created(
    http: Request,
    service: Requests,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    prepare: Callable[[dict[str, Any] | None], Awaitable[NewRequest]],
) -> Response:
    """201 with the request; with an ``Idempotency-Key``, at most one request per key.

    The answer is made from the prepared row before it is written, so that the request, its
    timeline line and the answer stored on the key are written together (one statement on
    PostgreSQL, see ``RequestService.store``). On PostgreSQL the key is taken by the same
    statement as the number (``prepare(claim)``), after the checks: a retry whose checks now
    fail, or whose key is already taken, gets the stored answer all the same (``begin``).
    """
    if key is None:
        new = await prepare(None)
        return await _store(service, principal, new, None)
    guard = IdempotencyGuard(
        service.session,
        IDEMPOTENCY_KEYS,
        subject=principal.subject,
        key=key,
        endpoint=f"POST {http.url.path}",
        body=body.model_dump(mode="json"),
    )
    if not guard.may_claim_later:
        stored = await guard.begin()
        if stored is not None:
            return _replayed(stored)
        return await _store(service, principal, await prepare(None), guard)
    try:
        new = await prepare(guard.claim_params())
    except Problem:
        # This call's checks failed: a first attempt that passed them was answered already?
        stored = await guard.begin()
        if stored is not None:
            return _replayed(stored)
        raise
    if not new.claimed:  # taken: by an earlier attempt (replay) or an expired key (ours now)
        stored = await guard.begin()
        if stored is not None:
            return _replayed(stored)
    return await _store(service, principal, new, guard)


async def _store(
    service: Requests, principal: Principal, new: NewRequest, guard: IdempotencyGuard | None
) -> Response:
    payload = read(principal, new.row).model_dump(mode="json")
    completion = guard.completion(status.HTTP_201_CREATED, payload) if guard else None
    await service.store(new, completion)
    return Response(
        content=completion.content if completion else orjson.dumps(payload),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Location": f"{PREFIX}/{new.row.id}"},
    )


def _replayed(stored: StoredResponse) -> Response:
    request_id = orjson.loads(stored.body).get("id")
    return stored.to_response({"Location": f"{PREFIX}/{request_id}"})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestRead,
    summary="Submit a request: a resident (app), staff taking a call (呼叫式), or a third party",
    responses=problem_responses(403, 409, 422, 503),
)
async def submit(
    http: Request,
    body: RequestCreate,
    principal: Writer,
    service: Requests,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    return await _created(
        http,
        service,
        principal,
        idempotency_key,
        body,
        lambda claim: service.prepare_submit(principal, body, claim=claim),
    )


@router.post(
    "/one-click",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestRead,
    summary="One tap (一键式): a preset button and maybe a location; the rest from the registry",
    responses=problem_responses(403, 409, 422, 503),
)
async def one_click(
    http: Request,
    body: OneClickCreate,
    principal: Writer,
    service: Requests,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    return await _created(
        http,
        service,
        principal,
        idempotency_key,
        body,
        lambda claim: service.prepare_one_click(principal, body, claim=claim),
    )


@router.get(
    "",
    summary="Requests you may see: your own (resident, third party) or your subtree's (staff)",
    responses=problem_responses(403, 422),
)
async def list_requests(
    principal: Reader,
    service: Requests,
    page: Paging,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    open_only: bool = False,
    overdue: bool = False,
    within: Annotated[
        str | None, Query(max_length=64, description="An organization's subtree")
    ] = None,
    category_id: Annotated[str | None, Query(max_length=64)] = None,
    item_id: Annotated[str | None, Query(max_length=64)] = None,
    community_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[RequestRead]:
    filters = RequestFilters(
        statuses=[s.value for s in status_ or []],
        open_only=open_only,
        overdue_on=today_in_china() if overdue else None,
        category_id=category_id,
        item_id=item_id,
        community_id=community_id,
    )
    rows, next_cursor = await service.list_page(principal, filters, page, within)
    return Page(items=[read(principal, r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/queue",
    summary="Staff queue: open requests handled in your organizations' subtree, newest first",
    responses=problem_responses(403, 422),
)
async def queue(
    principal: Reader,
    service: Requests,
    page: Paging,
    within: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool = False,
) -> Page[RequestRead]:
    filters = RequestFilters(open_only=True, overdue_on=today_in_china() if overdue else None)
    rows, next_cursor = await service.list_page(principal, filters, page, within)
    return Page(items=[read(principal, r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{request_id}",
    summary="One request with its timeline and photos",
    responses=problem_responses(404),
)
async def get_request(request_id: str, principal: Reader, service: Requests) -> RequestDetail:
    row = await service.get_visible(principal, request_id)
    events = await service.requests.events(row.id)
    attachments = await service.requests.attachments(row.id)
    return RequestDetail(
        **read(principal, row).model_dump(),
        timeline=[EventRead.of(e) for e in events],
        attachments=[AttachmentRead.model_validate(a, from_attributes=True) for a in attachments],
    )


_MOVE = problem_responses(403, 404, 409, 422)


@router.post("/{request_id}/cancel", summary="Cancel before acceptance (撤销)", responses=_MOVE)
async def cancel(request_id: str, body: Note, principal: Writer, service: Requests) -> RequestRead:
    row = await service.transition(principal, request_id, Action.CANCEL, note=body.note)
    return read(principal, row)


@router.post("/{request_id}/accept", summary="Accept (受理)", responses=_MOVE)
async def accept(request_id: str, body: Note, principal: Writer, service: Requests) -> RequestRead:
    row = await service.transition(principal, request_id, Action.ACCEPT, note=body.note)
    return read(principal, row)


@router.post("/{request_id}/reject", summary="Refuse with a reason (不予受理)", responses=_MOVE)
async def reject(
    request_id: str, body: Reason, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.transition(
        principal, request_id, Action.REJECT, note=body.reason, reason=body.reason
    )
    return read(principal, row)


@router.post(
    "/{request_id}/dispatch",
    summary="Dispatch (派单) to an organization, a department or a volunteer team",
    responses=_MOVE,
)
async def dispatch(
    request_id: str, body: DispatchBody, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.transition(
        principal, request_id, Action.DISPATCH, note=body.note, target=body
    )
    return read(principal, row)


@router.post(
    "/{request_id}/transfer", summary="Transfer to another handler (转办)", responses=_MOVE
)
async def transfer(
    request_id: str, body: DispatchBody, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.transition(
        principal, request_id, Action.TRANSFER, note=body.note, target=body
    )
    return read(principal, row)


@router.post(
    "/{request_id}/send-back", summary="Send back to the dispatcher (退单)", responses=_MOVE
)
async def send_back(
    request_id: str, body: Reason, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.transition(
        principal, request_id, Action.SEND_BACK, note=body.reason, reason=body.reason
    )
    return read(principal, row)


@router.post("/{request_id}/start", summary="Start handling (办理中)", responses=_MOVE)
async def start(request_id: str, body: Note, principal: Writer, service: Requests) -> RequestRead:
    row = await service.transition(principal, request_id, Action.START, note=body.note)
    return read(principal, row)


@router.post("/{request_id}/resolve", summary="Resolve with a result (办结)", responses=_MOVE)
async def resolve(
    request_id: str, body: ResolveBody, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.transition(
        principal,
        request_id,
        Action.RESOLVE,
        note=body.result,
        result=body.result,
        volunteers=body.volunteers,
    )
    return read(principal, row)


@router.post("/{request_id}/rate", summary="Rate 1 to 5 and close (评价)", responses=_MOVE)
async def rate(
    request_id: str, body: RateBody, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.transition(
        principal,
        request_id,
        Action.RATE,
        note=body.comment,
        rating=body.rating,
        comment=body.comment,
    )
    return read(principal, row)


@router.post(
    "/{request_id}/reopen", summary="Unsatisfied: send back for rework (发回重办)", responses=_MOVE
)
async def reopen(
    request_id: str, body: Reason, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.transition(
        principal, request_id, Action.REOPEN, note=body.reason, reason=body.reason
    )
    return read(principal, row)


@router.post(
    "/{request_id}/extension",
    summary="The handler asks for more working days (申请延期)",
    responses=_MOVE,
)
async def request_extension(
    request_id: str, body: ExtensionBody, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.request_extension(principal, request_id, body.days, body.reason)
    return read(principal, row)


@router.post(
    "/{request_id}/extension/decision",
    summary="The supervising organization approves or denies the extension",
    responses=_MOVE,
)
async def decide_extension(
    request_id: str, body: ExtensionDecision, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.decide_extension(principal, request_id, body.approve, body.note)
    return read(principal, row)


@router.post(
    "/{request_id}/duplicate",
    summary="Link as a duplicate of another request in your queue",
    responses=_MOVE,
)
async def link_duplicate(
    request_id: str, body: DuplicateBody, principal: Writer, service: Requests
) -> RequestRead:
    row = await service.link_duplicate(principal, request_id, body.duplicate_of, body.note)
    return read(principal, row)


@router.post(
    "/{request_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    summary="Add a photo (the body is the image; JPEG, PNG or WebP)",
    responses=problem_responses(403, 404, 409, 413, 422),
)
async def add_attachment(
    request_id: str,
    http: Request,
    principal: Writer,
    service: Requests,
    response: Response,
    filename: Annotated[str, Query(min_length=1, max_length=256)] = "photo",
) -> AttachmentRead:
    attachments = AttachmentService(service, http.app.state.blobs)
    data = await http.body()
    row = await attachments.add(
        principal, request_id, data, http.headers.get("content-type"), filename
    )
    response.headers["Location"] = f"{PREFIX}/{request_id}/attachments/{row.id}"
    return AttachmentRead.model_validate(row, from_attributes=True)


@router.get(
    "/{request_id}/attachments/{attachment_id}",
    summary="The photo's bytes",
    response_class=Response,
    responses=problem_responses(404),
)
async def get_attachment(
    request_id: str, attachment_id: str, http: Request, principal: Reader, service: Requests
) -> Response:
    attachments = AttachmentService(service, http.app.state.blobs)
    row, data = await attachments.get(principal, request_id, attachment_id)
    return Response(content=data, media_type=row.content_type)
