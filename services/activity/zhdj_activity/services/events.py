"""Appending to an activity's log: every change goes through :func:`append_event`."""

from __future__ import annotations

from typing import Any

from zhdj_activity.models import Activity, ActivityEvent
from zhdj_activity.repositories.activities import ActivityRepository
from zhdj_activity.services.chain import GENESIS, event_hash
from zhdj_shared.db import utcnow


async def append_event(
    repository: ActivityRepository,
    activity: Activity,
    kind: str,
    payload: dict[str, Any],
    actor: str,
) -> ActivityEvent:
    """Link a new event to the last one. Writers hold the activity's row lock (PostgreSQL) or
    the database write lock (SQLite); the unique ``(activity_id, seq)`` is the last guard."""
    last = await repository.last_event(activity.id)
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = utcnow()
    event = ActivityEvent(
        activity_id=activity.id,
        seq=seq,
        kind=kind,
        payload=payload,
        actor=actor,
        at=at,
        prev_hash=prev,
        hash=event_hash(
            prev, activity_id=activity.id, seq=seq, kind=kind, payload=payload, actor=actor, at=at
        ),
    )
    repository.add(event)
    await repository.flush()
    return event
