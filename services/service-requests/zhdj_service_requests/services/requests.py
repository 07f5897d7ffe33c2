"""Submission of requests from every channel, and the workflow's moves.

``submit_request`` is the one entry for every channel (the app, one tap, a phone call taken by
staff, a third-party system, Open311): it finds where the request belongs (the resident's
household, else the location's grid, else the given community), routes it (the item's handler
kind picks the community or the street above it), sets the working-day deadlines, numbers it,
flags a possible duplicate and writes the first timeline line and the outbox event, all in the
caller's transaction.

Every workflow move goes through :meth:`RequestService.transition`: visibility (404), the actor's
right (403), then the state machine (409) - nothing is changed before all three pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests import registry as reg
from zhdj_service_requests.models import ServiceRequest
from zhdj_service_requests.models.requests import UNHANDLED
from zhdj_service_requests.repositories.catalog import CatalogRepository, ItemFacts
from zhdj_service_requests.repositories.requests import (
    RequestFilters,
    RequestRepository,
    open_nearby_query,
    request_row,
)
from zhdj_service_requests.schemas.requests import (
    Channel,
    DispatchBody,
    OneClickCreate,
    RequestCreate,
    RequestRead,
)
from zhdj_service_requests.services import access
from zhdj_service_requests.services.outbox import record_event
from zhdj_service_requests.workdays import CalendarBasis, add_working_days, weakest
from zhdj_service_requests.workflow import (
    AWAITING_RESOLUTION,
    FINAL,
    TRANSITIONS,
    Action,
    Actor,
    Status,
    next_status,
)
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.idempotency import Completion
from zhdj_shared.ids import new_id
from zhdj_shared.pagination import PageParams
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role

PRESET_TITLES = {"help": "一键求助", "repair": "一键报修", "consult": "一键咨询"}


@dataclass(frozen=True)
class Policy:
    """The tunable numbers of the workflow (from the settings)."""

    reopen_window_days: int = 7
    duplicate_window_days: int = 3
    duplicate_radius_m: float = 200.0


def invalid(field: str, message: str, detail: str) -> Unprocessable:
    return Unprocessable(detail, errors=[FieldError(field=field, message=message)])


def within_path(principal: Principal, within: str, ancestry: list[str] | None) -> str:
    """The subtree prefix of ``within`` when the principal may narrow to it: administrators and
    platform services anywhere, staff in their own subtrees; unknown is 422, others 403."""
    if ancestry is None:
        raise invalid("within", "unknown", f"no organization {within}")
    if not (
        principal.is_admin
        or Role.SERVICE in principal.roles
        or (access.is_staff(principal) and principal.acts_for(ancestry))
    ):
        raise Forbidden("you do not act for this organization")
    return reg.path_of(ancestry)


def public_view(request: ServiceRequest, today: date | None = None) -> dict[str, Any]:
    """The request as anyone outside the handling staff sees it (personal data masked)."""
    read = RequestRead.of(request, masked=True, today=today or today_in_china())
    return read.model_dump(mode="json")


def actor_role(principal: Principal) -> str:
    if access.is_staff(principal):
        return "staff"
    if access.is_third_party(principal):
        return "client"
    if Role.SERVICE in principal.roles:
        return "service"
    if principal.is_admin:
        return "admin"
    return "resident"


class RequestService:
    def __init__(
        self, session: AsyncSession, registry: RegistryClient, policy: Policy | None = None
    ) -> None:
        self.session = session
        self.registry = registry
        self.policy = policy or Policy()
        self.requests = RequestRepository(session)
        self.catalog = CatalogRepository(session)

    # --- submission --------------------------------------------------------------------------

    async def submit(
        self, principal: Principal, body: RequestCreate, *, channel: Channel | None = None
    ) -> ServiceRequest:
        """Check, route, number and store a request (see :meth:`prepare_submit`)."""
        return await self.store(await self.prepare_submit(principal, body, channel=channel))

    async def one_click(self, principal: Principal, body: OneClickCreate) -> ServiceRequest:
        """One tap: only a preset button and maybe a location; the rest comes from the registry."""
        return await self.store(await self.prepare_one_click(principal, body))

    async def store(self, new: NewRequest, completion: Completion | None = None) -> ServiceRequest:
        """Write a prepared request, its first timeline line and (``completion``) the response
        stored on its ``Idempotency-Key``: one statement on PostgreSQL; then the outbox event
        when a webhook subscription is active. All in the caller's transaction."""
        await self.requests.insert_submission(new.values, new.event, completion)
        await self._outbox(new.row, new.event, subscribed=new.subscribed)
        return new.row

    async def prepare_submit(
        self,
        principal: Principal,
        body: RequestCreate,
        *,
        channel: Channel | None = None,
        claim: dict[str, Any] | None = None,
    ) -> NewRequest:
        """Everything but the writes: checks (422, 403), routing, deadlines, the number and the
        duplicate hint. The row is final: its answer can be made before it is stored.

        ``claim``: an ``Idempotency-Key`` to take along with the number (PostgreSQL; see
        ``IdempotencyGuard.may_claim_later``); ``NewRequest.claimed`` says whether it was."""
        channel = channel or self._channel_of(principal)
        item = await self.catalog.item_facts(body.item_id)
        if item is None or not item.active:
            raise invalid("item_id", "unknown item", f"no active service item {body.item_id}")
        resident_user_id, name, phone = self._resident_of(principal, body, channel)
        place = await self._place(principal, body, resident_user_id, channel)
        return await self._create(
            principal,
            item,
            channel=channel,
            place=place,
            title=body.title or item.name,
            description=body.description,
            resident=(resident_user_id, name, phone, body.address),
            location=(body.location.lat, body.location.lng) if body.location else None,
            claim=claim,
        )

    async def prepare_one_click(
        self, principal: Principal, body: OneClickCreate, *, claim: dict[str, Any] | None = None
    ) -> NewRequest:
        """A one-tap request, prepared like :meth:`prepare_submit`."""
        if not access.is_resident(principal):
            raise Forbidden("one-tap requests are made by residents")
        item = await self.catalog.item_by_preset(body.preset.value)
        if item is None:
            raise invalid("preset", "no item", f"no service item answers {body.preset.value}")
        location = (body.location.lat, body.location.lng) if body.location else None
        place = await reg.household_place(self.registry, principal.subject)
        if location is not None:
            # The resident is somewhere else than home: the location's grid handles it.
            place = await reg.locate(self.registry, *location) or place
        if place is None:
            raise invalid(
                "location",
                "required",
                "no household is registered for you and no location was given",
            )
        return await self._create(
            principal,
            ItemFacts.of(item),
            channel=Channel.ONE_CLICK,
            place=place,
            title=PRESET_TITLES[body.preset.value],
            description=body.description or PRESET_TITLES[body.preset.value],
            resident=(principal.subject, principal.name, None, None),
            location=location,
            claim=claim,
        )

    def _channel_of(self, principal: Principal) -> Channel:
        if access.is_third_party(principal):
            return Channel.THIRD_PARTY
        if access.is_staff(principal):
            return Channel.CALL
        if access.is_resident(principal):
            return Channel.APP
        raise Forbidden("requests are submitted by residents, service staff or third parties")

    def _resident_of(
        self, principal: Principal, body: RequestCreate, channel: Channel
    ) -> tuple[str | None, str | None, str | None]:
        if channel == Channel.APP:
            return principal.subject, principal.name or body.resident_name, body.resident_phone
        if channel == Channel.CALL and not body.resident_phone:
            raise invalid(
                "resident_phone", "required", "a call-style request needs the caller's phone"
            )
        return body.resident_user_id, body.resident_name, body.resident_phone

    async def _place(
        self,
        principal: Principal,
        body: RequestCreate,
        resident_user_id: str | None,
        channel: Channel,
    ) -> reg.Place:
        place: reg.Place | None = None
        if body.community_id is not None:
            place = reg.Place(community_id=body.community_id)
        elif body.location is not None:
            place = await reg.locate(self.registry, body.location.lat, body.location.lng)
        if place is None and resident_user_id is not None:
            place = await reg.household_place(self.registry, resident_user_id)
        if place is None:
            raise invalid(
                "location",
                "required",
                "where is it? give a location inside a grid, a community_id, or a resident "
                "with a registered household",
            )
        if channel == Channel.CALL and not principal.is_admin:
            ancestry = await self.registry.ancestry(place.community_id) or []
            if not principal.acts_for(ancestry):
                raise Forbidden("you take calls for your own organizations' communities only")
        return place

    async def _create(
        self,
        principal: Principal,
        item: ItemFacts,
        *,
        channel: Channel,
        place: reg.Place,
        title: str,
        description: str,
        resident: tuple[str | None, str | None, str | None, str | None],
        location: tuple[float, float] | None,
        claim: dict[str, Any] | None,
    ) -> NewRequest:
        """Numbers and routes the request and makes its row and first timeline line (written
        by :meth:`store`: Core inserts, no ORM unit of work; the row is in no session)."""
        ancestry = await self.registry.ancestry(place.community_id)
        if ancestry is None:
            raise invalid("community_id", "unknown", f"no organization {place.community_id}")
        # A street or department item is handled by the organization above the community.
        handling = ancestry if item.handler_kind == "community" else ancestry[:-1] or ancestry
        today = today_in_china()
        respond_due, basis1 = add_working_days(today, item.respond_days)
        resolve_due, basis2 = add_working_days(today, item.resolve_days)
        basis = weakest(basis1, basis2)
        suggested: list[str] = []
        if item.volunteer_post_kind:
            # Teams of the whole street: a street's teams serve its communities too.
            street = ancestry[-2] if len(ancestry) > 1 else ancestry[-1]
            suggested = await reg.volunteer_teams(self.registry, item.volunteer_post_kind, street)
        user_id, name, phone, address = resident
        lat, lng = location if location else (None, None)
        now = utcnow()
        box = None
        if lat is not None and lng is not None:
            box = _box(lat, lng, self.policy.duplicate_radius_m)
        duplicate = open_nearby_query(
            category_id=item.category_id,
            since=now - timedelta(days=self.policy.duplicate_window_days),
            box=box,
            item_id=item.id,
            grid_id=place.grid_id,
            community_id=place.community_id,
        )
        # One round trip on PostgreSQL: the number's sequence, the duplicate hint, whether the
        # outbox has any subscription to read and (``claim``) the Idempotency-Key taken.
        seq, possible_duplicate, subscribed, claimed = await self.requests.number_and_duplicate(
            today.strftime("%Y%m%d"), duplicate, claim
        )
        values: dict[str, Any] = {
            "id": new_id(),
            "number": f"SR{today:%Y%m%d}-{seq:06d}",
            "item_id": item.id,
            "category_id": item.category_id,
            "department_id": item.department_id,
            "title": title,
            "description": description,
            "channel": channel.value,
            "status": Status.SUBMITTED.value,
            "is_open": True,
            "resident_user_id": user_id,
            "resident_name": name,
            "resident_phone": phone,
            "address": address,
            "household_id": place.household_id,
            "community_id": place.community_id,
            "grid_id": place.grid_id,
            "lat": lat,
            "lng": lng,
            "handling_org_id": handling[-1],
            "handling_path": reg.path_of(handling),
            "assigned_team_id": None,
            "assigned_department_id": item.department_id,
            "dispatched_by_org_id": None,
            "suggested_team_ids": suggested,
            "submitted_by": principal.subject,
            "submitted_client_id": access.client_key(principal)
            if access.is_third_party(principal) or principal.kind == "client"
            else None,
            "respond_due_on": respond_due,
            "resolve_due_on": resolve_due,
            "calendar_basis": basis.value,
            **UNHANDLED,
            "possible_duplicate_of": possible_duplicate,
            "duplicate_of": None,
            "created_at": now,
            "updated_at": now,
            "accepted_at": None,
            "resolved_at": None,
            "closed_at": None,
        }
        row = request_row(values)
        event = _event_values(
            principal, row, "submit", None, Status.SUBMITTED, None, {"channel": channel.value}
        )
        return NewRequest(row, values, event, subscribed, claimed)

    # --- reading -----------------------------------------------------------------------------

    async def get_visible(self, principal: Principal, request_id: str) -> ServiceRequest:
        row = await self.requests.get(request_id)
        if row is None or not access.sees(principal, row):
            # Someone else's request does not exist for you (no probing of ids).
            raise NotFound(f"request {request_id} does not exist")
        return row

    async def list_page(
        self,
        principal: Principal,
        filters: RequestFilters,
        page: PageParams,
        within: str | None = None,
    ) -> tuple[list[ServiceRequest], str | None]:
        filters = await self.scope_filters(principal, filters, within)
        return await self.requests.list_page(filters, limit=page.limit, cursor=page.cursor)

    async def scope_filters(
        self, principal: Principal, filters: RequestFilters, within: str | None
    ) -> RequestFilters:
        """Narrows ``filters`` to what the principal may see (see ``services.access``)."""
        within_paths: list[str] | None = None
        if within is not None:
            within_paths = [within_path(principal, within, await self.registry.ancestry(within))]
        if principal.is_admin or Role.SERVICE in principal.roles:
            return replace(filters, within_paths=within_paths)
        if access.is_third_party(principal):
            return replace(filters, submitted_client_id=access.client_key(principal))
        if access.is_staff(principal):
            paths = within_paths or await access.staff_paths(principal, self.registry)
            return replace(filters, within_paths=paths)
        return replace(filters, resident_user_id=principal.subject)

    # --- workflow ----------------------------------------------------------------------------

    async def transition(
        self,
        principal: Principal,
        request_id: str,
        action: Action,
        *,
        note: str | None = None,
        **details: Any,
    ) -> ServiceRequest:
        row = await self._locked_visible(principal, request_id)
        self._require_actor(principal, row, action)
        before = Status(row.status)
        after = next_status(row.status, action)
        data = await self._apply(principal, row, action, note=note, **details)
        row.status = after.value
        row.is_open = after not in FINAL
        row.updated_at = utcnow()
        await self.session.flush()
        await self._event(principal, row, action.value, before, after, note, data)
        return row

    async def _locked_visible(self, principal: Principal, request_id: str) -> ServiceRequest:
        row = await self.requests.get(request_id, for_update=True)
        if row is None or not access.sees(principal, row):
            raise NotFound(f"request {request_id} does not exist")
        return row

    def _require_actor(self, principal: Principal, row: ServiceRequest, action: Action) -> None:
        actor = TRANSITIONS[action].actor
        if actor == Actor.SYSTEM:
            raise Forbidden("this move is made by the system only")
        if actor == Actor.STAFF and not access.handles(principal, row):
            raise Forbidden("only the handling organization's staff may do this")
        if actor == Actor.RESIDENT:
            mine = access.owns(principal, row) or (
                action == Action.CANCEL and row.submitted_by == principal.subject
            )
            if not (mine or principal.is_admin):
                raise Forbidden("only the resident who made the request may do this")

    async def _apply(
        self,
        principal: Principal,
        row: ServiceRequest,
        action: Action,
        *,
        note: str | None,
        **details: Any,
    ) -> dict[str, Any]:
        """The move's own changes (the status is set by the caller); its timeline data."""
        now, today = utcnow(), today_in_china()
        if action in (Action.ACCEPT, Action.REJECT):
            row.accepted_at = now if action == Action.ACCEPT else None
            row.responded_on_time = today <= row.respond_due_on
            if action == Action.REJECT:
                row.reject_reason = details["reason"]
                row.closed_at = now
            return {}
        if action in (Action.DISPATCH, Action.TRANSFER):
            return await self._dispatch(principal, row, details["target"])
        if action == Action.SEND_BACK:
            back_to = row.dispatched_by_org_id or row.handling_org_id
            path = await reg.org_path(self.registry, back_to)
            if path is not None:
                row.handling_org_id, row.handling_path = back_to, path
            row.assigned_team_id = None
            return {"reason": details["reason"], "back_to": back_to}
        if action == Action.RESOLVE:
            row.result, row.volunteers = details["result"], row.volunteers + details["volunteers"]
            row.resolved_at = now
            row.resolved_on_time = today <= row.resolve_due_on
            row.handling_minutes = int((now - row.created_at).total_seconds() // 60)
            row.extension_days_requested, row.extension_reason = None, None
            return {"result": details["result"], "volunteers": details["volunteers"]}
        if action == Action.RATE:
            row.rating, row.rating_comment = details["rating"], details.get("comment")
            row.closed_at = now
            return {"rating": details["rating"]}
        if action == Action.REOPEN:
            return await self._reopen(row, details["reason"])
        if action == Action.CANCEL:
            row.closed_at = now
        return {}

    async def _dispatch(
        self, principal: Principal, row: ServiceRequest, target: DispatchBody
    ) -> dict[str, Any]:
        if target.org_id is not None:
            ancestry = await self.registry.ancestry(target.org_id)
            if ancestry is None:
                raise invalid("org_id", "unknown", f"no organization {target.org_id}")
            if not (principal.is_admin or principal.acts_for(ancestry)):
                raise Forbidden("you dispatch within your own organizations' subtree only")
            row.dispatched_by_org_id = row.handling_org_id
            row.handling_org_id, row.handling_path = target.org_id, reg.path_of(ancestry)
            return {"org_id": target.org_id}
        if target.department_id is not None:
            if await self.catalog.department(target.department_id) is None:
                raise invalid("department_id", "unknown", f"no department {target.department_id}")
            row.assigned_department_id = target.department_id
            row.dispatched_by_org_id = row.handling_org_id
            return {"department_id": target.department_id}
        assert target.team_id is not None
        if not await reg.volunteer_team_exists(self.registry, target.team_id):
            raise invalid("team_id", "unknown", f"no volunteer team {target.team_id}")
        row.assigned_team_id = target.team_id
        row.dispatched_by_org_id = row.handling_org_id
        return {"team_id": target.team_id}

    async def _reopen(self, row: ServiceRequest, reason: str) -> dict[str, Any]:
        assert row.resolved_at is not None
        if utcnow() - row.resolved_at > timedelta(days=self.policy.reopen_window_days):
            raise Conflict(
                f"a request can be sent back within {self.policy.reopen_window_days} days "
                "of its resolution only"
            )
        item = await self.catalog.item(row.item_id)
        days = item.resolve_days if item is not None else 5
        row.resolve_due_on, basis = add_working_days(today_in_china(), days)
        row.calendar_basis = basis.value
        row.reopen_count += 1
        row.escalation_level = 0
        row.resolved_at, row.result, row.resolved_on_time = None, None, None
        return {"reason": reason}

    # --- extensions, duplicates --------------------------------------------------------------

    async def request_extension(
        self, principal: Principal, request_id: str, days: int, reason: str
    ) -> ServiceRequest:
        row = await self._locked_visible(principal, request_id)
        if not access.handles(principal, row):
            raise Forbidden("only the handling organization's staff may ask for more time")
        if Status(row.status) not in AWAITING_RESOLUTION:
            raise Conflict(f"no resolution deadline runs while the request is {row.status}")
        if row.extension_days_requested is not None:
            raise Conflict("an extension is already waiting for approval")
        row.extension_days_requested, row.extension_reason = days, reason
        row.updated_at = utcnow()
        await self.session.flush()
        await self._event(principal, row, "extension_requested", None, None, reason, {"days": days})
        return row

    async def decide_extension(
        self, principal: Principal, request_id: str, approve: bool, note: str | None
    ) -> ServiceRequest:
        row = await self._locked_visible(principal, request_id)
        if not access.supervises(principal, row):
            raise Forbidden("extensions are decided by the supervising organization's staff")
        days = row.extension_days_requested
        if days is None:
            raise Conflict("no extension is waiting for approval")
        data: dict[str, Any] = {"days": days}
        if approve:
            row.resolve_due_on, basis = add_working_days(row.resolve_due_on, days)
            # The response deadline keeps its basis: the request's is the least certain one.
            row.calendar_basis = weakest(CalendarBasis(row.calendar_basis), basis).value
            row.extensions_granted += 1
            row.escalation_level = (
                0 if today_in_china() <= row.resolve_due_on else row.escalation_level
            )
            data["resolve_due_on"] = row.resolve_due_on.isoformat()
        row.extension_days_requested, row.extension_reason = None, None
        row.updated_at = utcnow()
        await self.session.flush()
        action = "extension_approved" if approve else "extension_denied"
        await self._event(principal, row, action, None, None, note, data)
        return row

    async def link_duplicate(
        self, principal: Principal, request_id: str, duplicate_of: str, note: str | None
    ) -> ServiceRequest:
        row = await self._locked_visible(principal, request_id)
        if not access.handles(principal, row):
            raise Forbidden("only the handling organization's staff may link duplicates")
        if duplicate_of == row.id:
            raise invalid("duplicate_of", "itself", "a request is not a duplicate of itself")
        original = await self.requests.get(duplicate_of)
        if original is None or not access.handles(principal, original):
            raise invalid("duplicate_of", "unknown", f"no request {duplicate_of} in your queue")
        row.duplicate_of, row.possible_duplicate_of = original.id, None
        row.updated_at = utcnow()
        await self.session.flush()
        await self._event(
            principal, row, "linked_duplicate", None, None, note, {"duplicate_of": original.id}
        )
        return row

    # --- timeline ----------------------------------------------------------------------------

    async def _event(
        self,
        principal: Principal | None,
        row: ServiceRequest,
        action: str,
        before: Status | None,
        after: Status | None,
        note: str | None,
        data: dict[str, Any],
    ) -> None:
        """The timeline line (a Core insert) and the outbox event, in the caller's transaction."""
        event = _event_values(principal, row, action, before, after, note, data)
        await self.requests.insert_event(event)
        await self._outbox(row, event)

    async def _outbox(
        self, row: ServiceRequest, event: dict[str, Any], *, subscribed: bool | None = None
    ) -> None:
        """The webhook event of a timeline line (``subscribed``: see :func:`record_event`)."""
        await record_event(
            self.session,
            event_type=f"request.{_event_name(event['action'])}",
            request=row,
            subscribed=subscribed,
            # Built only when a subscription wants the event.
            payload=lambda: {
                "request": public_view(row),
                "transition": {
                    "action": event["action"],
                    "from": event["from_status"],
                    "to": event["to_status"],
                    "at": event["at"].isoformat(),
                    "note": event["note"],
                },
            },
        )


@dataclass(frozen=True)
class NewRequest:
    """A submission checked, routed and numbered, not yet written (:meth:`RequestService.store`)."""

    row: ServiceRequest  # what the request will be once stored
    values: dict[str, Any]  # its columns
    event: dict[str, Any]  # the columns of its first timeline line
    subscribed: bool | None  # whether a webhook subscription is active (None: not asked)
    # Whether preparing took the Idempotency-Key it was given (None: none given).
    claimed: bool | None = None


def _event_values(
    principal: Principal | None,
    row: ServiceRequest,
    action: str,
    before: Status | None,
    after: Status | None,
    note: str | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The columns of a timeline line."""
    return {
        "id": new_id(),
        "request_id": row.id,
        "action": action,
        "from_status": before.value if before else None,
        "to_status": after.value if after else None,
        "actor_subject": principal.subject if principal else "system",
        "actor_name": principal.name if principal else "系统",
        "actor_role": actor_role(principal) if principal else "system",
        "note": note,
        "data": data,
        "at": utcnow(),
    }


def _event_name(action: str) -> str:
    return {"submit": "submitted"}.get(action, action)


def _box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    dlat = radius_m / 111_320.0
    dlng = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


async def submit_request(
    session: AsyncSession,
    registry: RegistryClient,
    principal: Principal,
    body: RequestCreate,
    *,
    channel: Channel | None = None,
) -> ServiceRequest:
    """Submit a request for ``principal`` (any channel; Open311 passes ``Channel.OPEN311``)."""
    return await RequestService(session, registry).submit(principal, body, channel=channel)
