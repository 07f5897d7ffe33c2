"""Rules of activities: who records them, their lifecycle, and the record's log.

Lifecycle (see docs/activity.md)::

    planned --submit record--> held --approve--> approved --correction (event only)
       |                        |  \\--return--> returned --submit record--> held
       \\--cancel--> cancelled <-------------------/ (cancel from planned or returned)

Illegal transitions are 409. Every change appends a hash-chained event.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from zhdj_activity import registry as reg
from zhdj_activity.models import Activity, ActivityEvent, Attendance, Participant
from zhdj_activity.periods import china_day
from zhdj_activity.repositories.activities import ActivityFilters, ActivityRepository
from zhdj_activity.schemas.activities import (
    ActivityCreate,
    CorrectionBody,
    PartyRef,
    RecordSubmit,
)
from zhdj_activity.services.access import ancestry_of, require_manager, require_supervisor
from zhdj_activity.services.chain import Verdict, verify
from zhdj_activity.services.events import append_event
from zhdj_activity.vocabulary import ActivityStatus, AttendanceStatus, PartyKind
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.pagination import PageParams
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.authz import Principal

_S = ActivityStatus
# action -> (the status it leads to, the statuses it may start from); anything else is 409.
TRANSITIONS: dict[str, tuple[ActivityStatus, frozenset[ActivityStatus]]] = {
    "submit": (_S.HELD, frozenset({_S.PLANNED, _S.RETURNED})),
    "approve": (_S.APPROVED, frozenset({_S.HELD})),
    "return": (_S.RETURNED, frozenset({_S.HELD})),
    "cancel": (_S.CANCELLED, frozenset({_S.PLANNED, _S.RETURNED})),
}


def invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, errors=[FieldError(field=field, message=message)])


def require_transition(activity: Activity, action: str) -> ActivityStatus:
    target, sources = TRANSITIONS[action]
    if ActivityStatus(activity.status) not in sources:
        raise Conflict(f"an activity that is {activity.status} cannot be {target.value}")
    return target


@dataclass(frozen=True)
class ResolvedParty:
    kind: PartyKind
    id: str
    path: str


class ActivityService:
    def __init__(self, repository: ActivityRepository, registry: RegistryClient) -> None:
        self.repository = repository
        self.registry = registry

    # --- reading -----------------------------------------------------------------------------

    async def get(self, activity_id: str, *, for_update: bool = False) -> Activity:
        activity = await self.repository.get(activity_id, for_update=for_update)
        if activity is None:
            raise NotFound(f"activity {activity_id} does not exist")
        return activity

    async def type_labels(self) -> dict[str, str]:
        return await self.repository.type_labels()

    async def partners(self, activities: list[Activity]) -> dict[str, list[Participant]]:
        rows = await self.repository.participants([a.id for a in activities])
        owners = {a.id: a.owner_id for a in activities}
        found: dict[str, list[Participant]] = {a.id: [] for a in activities}
        for row in rows:
            if row.party_id != owners[row.activity_id]:
                found[row.activity_id].append(row)
        return found

    async def list_page(
        self, filters: ActivityFilters, within: str | None, page: PageParams
    ) -> tuple[list[Activity], str | None]:
        if within is not None:
            org = await reg.organization(self.registry, within)
            if org is None:
                raise NotFound(f"organization {within} is unknown to the registry")
            filters = replace(filters, within_path=org.path)
        return await self.repository.list_page(filters, limit=page.limit, cursor=page.cursor)

    async def events(self, activity_id: str) -> list[ActivityEvent]:
        await self.get(activity_id)
        return await self.repository.events(activity_id)

    async def verify(self, activity_id: str) -> Verdict:
        return verify(await self.events(activity_id))

    # --- creating ----------------------------------------------------------------------------

    async def _party(self, ref: PartyRef, field: str) -> ResolvedParty:
        if ref.kind == PartyKind.ORG:
            org = await reg.organization(self.registry, ref.id)
            if org is None:
                raise invalid(field, f"organization {ref.id} is unknown to the registry")
            return ResolvedParty(PartyKind.ORG, org.id, org.path)
        alliance = await reg.alliance(self.registry, ref.id)
        if alliance is None:
            raise invalid(field, f"alliance {ref.id} is unknown to the registry")
        lead = await reg.organization(self.registry, str(alliance["lead_org_id"]))
        if lead is None:
            raise invalid(field, f"the lead organization of alliance {ref.id} is unknown")
        return ResolvedParty(PartyKind.ALLIANCE, ref.id, lead.path)

    async def _check_references(self, data: ActivityCreate) -> str | None:
        """422 for an unknown type, venue or lecturer; answers the lecturer's name."""
        activity_type = await self.repository.type(data.type_code)
        if activity_type is None or not activity_type.active:
            raise invalid("type_code", f"unknown activity type {data.type_code}")
        if data.venue_id is not None and await reg.venue(self.registry, data.venue_id) is None:
            raise invalid("venue_id", f"venue {data.venue_id} is unknown or closed")
        if data.lecturer_member_id is None:
            return data.lecturer_name
        lecturer = await reg.member(self.registry, data.lecturer_member_id)
        if lecturer is None:
            raise invalid("lecturer_member_id", "the lecturer is not a registered member")
        return data.lecturer_name or lecturer.name

    async def _roster(self, refs: list[PartyRef]) -> list[reg.RosterEntry]:
        """The members of every participating organization, each once (an alliance has no
        members of its own: its organizations join as partners when their members attend)."""
        orgs = [r.id for r in refs if r.kind == PartyKind.ORG]
        lists = await asyncio.gather(*(reg.roster(self.registry, org_id) for org_id in orgs))
        entries: dict[str, reg.RosterEntry] = {}
        for entry in (e for found in lists for e in found):
            entries.setdefault(entry.member_id, entry)
        return list(entries.values())

    async def create(self, principal: Principal, data: ActivityCreate) -> Activity:
        # Every registry read happens before the first write (no transaction waits on the
        # network); the roster is fetched while the owner is checked, saving a round trip.
        owner, roster = await asyncio.gather(
            self._party(data.owner, "owner.id"), self._roster([data.owner, *data.partners])
        )
        if not principal.manages(ancestry_of(owner.path)):
            raise Forbidden(
                "only the organization's staff (or its ancestors') record its activities"
            )
        partners = [await self._party(p, f"partners.{i}.id") for i, p in enumerate(data.partners)]
        lecturer_name = await self._check_references(data)
        activity = Activity(
            type_code=data.type_code,
            title=data.title,
            owner_kind=owner.kind.value,
            owner_id=owner.id,
            owner_path=owner.path,
            status=ActivityStatus.PLANNED.value,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            venue_id=data.venue_id,
            location=data.location,
            lecturer_member_id=data.lecturer_member_id,
            lecturer_name=lecturer_name,
            description=data.description,
            created_by=principal.subject,
        )
        self.repository.add(activity)
        day = china_day(data.starts_at)
        for party in [owner, *partners]:
            self.repository.add(
                Participant(
                    activity_id=activity.id,
                    party_kind=party.kind.value,
                    party_id=party.id,
                    party_path=party.path,
                    type_code=data.type_code,
                    status=activity.status,
                    day=day,
                )
            )
        for entry in roster:
            self.repository.add(
                Attendance(
                    activity_id=activity.id,
                    member_id=entry.member_id,
                    member_name=entry.name,
                    org_id=entry.org_id,
                    status=AttendanceStatus.EXPECTED.value,
                )
            )
        await self.repository.flush()
        payload = {**data.model_dump(mode="json"), "roster": [e.member_id for e in roster]}
        await append_event(self.repository, activity, "created", payload, principal.subject)
        return activity

    # --- lifecycle ---------------------------------------------------------------------------

    async def _transition(
        self,
        activity: Activity,
        target: ActivityStatus,
        kind: str,
        payload: dict[str, Any],
        actor: str,
        reason: str | None = None,
    ) -> Activity:
        activity.status = target.value
        activity.status_reason = reason
        activity.updated_at = utcnow()
        await self.repository.flush()
        await self.repository.sync_participants(activity)
        await append_event(self.repository, activity, kind, payload, actor)
        return activity

    async def submit_record(
        self, principal: Principal, activity_id: str, data: RecordSubmit
    ) -> Activity:
        activity = await self.get(activity_id, for_update=True)
        require_manager(principal, activity)
        target = require_transition(activity, "submit")
        held_on = data.held_on or china_day(activity.starts_at)
        if held_on > china_day(utcnow()):
            raise invalid("held_on", "an activity is recorded once it has been held")
        activity.minutes = data.minutes
        activity.decisions = list(data.decisions)
        activity.held_on = held_on
        payload = data.model_dump(mode="json") | {"held_on": held_on.isoformat()}
        return await self._transition(
            activity, target, "record_submitted", payload, principal.subject
        )

    async def approve(self, principal: Principal, activity_id: str) -> Activity:
        activity = await self.get(activity_id, for_update=True)
        require_supervisor(principal, activity)
        target = require_transition(activity, "approve")
        return await self._transition(activity, target, "approved", {}, principal.subject)

    async def send_back(self, principal: Principal, activity_id: str, reason: str) -> Activity:
        activity = await self.get(activity_id, for_update=True)
        require_supervisor(principal, activity)
        target = require_transition(activity, "return")
        payload = {"reason": reason}
        return await self._transition(
            activity, target, "returned", payload, principal.subject, reason
        )

    async def cancel(self, principal: Principal, activity_id: str, reason: str) -> Activity:
        activity = await self.get(activity_id, for_update=True)
        require_manager(principal, activity)
        target = require_transition(activity, "cancel")
        payload = {"reason": reason}
        return await self._transition(
            activity, target, "cancelled", payload, principal.subject, reason
        )

    async def correct(
        self, principal: Principal, activity_id: str, data: CorrectionBody
    ) -> ActivityEvent:
        """An approved record is never edited: the correction is a new event of its log."""
        activity = await self.get(activity_id, for_update=True)
        require_manager(principal, activity)
        if activity.status != ActivityStatus.APPROVED:
            raise Conflict("only an approved record takes corrections; edit by resubmitting")
        return await append_event(
            self.repository, activity, "corrected", data.model_dump(mode="json"), principal.subject
        )
