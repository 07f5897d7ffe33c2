"""Automatic escalation as deadlines pass (催办, then 督办 yellow, then 督办 red), and auto-close.

Levels only rise (a request is never "un-urged" by the sweep; an approved extension resets it):

====  =========  ==========================================================================
 1    催办        the response deadline passed without acceptance, or the resolution deadline
                  is today or the next working day
 2    督办 yellow the resolution deadline passed
 3    督办 red    more than ``red_after_working_days`` working days past the resolution deadline
====  =========  ==========================================================================

:func:`escalate_due` is the whole sweep on one session; the app runs it periodically in a
background task (``run_escalation_loop``), tests call it directly with a chosen day.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models import IDEMPOTENCY_KEYS, RequestEvent, ServiceRequest
from zhdj_service_requests.repositories.requests import RequestRepository
from zhdj_service_requests.services.outbox import record_event
from zhdj_service_requests.services.requests import public_view
from zhdj_service_requests.workdays import add_working_days, working_days_between
from zhdj_service_requests.workflow import Status
from zhdj_shared.clock import today_in_china
from zhdj_shared.db import Database, utcnow
from zhdj_shared.idempotency import purge_expired

logger = logging.getLogger(__name__)

URGE, YELLOW, RED = 1, 2, 3
LEVEL_LABELS = {0: "无", URGE: "催办", YELLOW: "黄牌督办", RED: "红牌督办"}


@dataclass(frozen=True)
class SweepResult:
    escalated: int
    closed: int


def level_on(row: ServiceRequest, today: date, red_after: int) -> int:
    """The escalation level the request deserves on ``today``."""
    level = URGE if row.status == Status.SUBMITTED and today > row.respond_due_on else 0
    if today > row.resolve_due_on:
        late = working_days_between(row.resolve_due_on, today)
        return RED if late > red_after else YELLOW
    next_working_day, _ = add_working_days(today, 1)
    if row.resolve_due_on <= next_working_day:
        level = URGE
    return level


async def escalate_due(
    session: AsyncSession,
    today: date | None = None,
    *,
    red_after: int = 3,
    reopen_window_days: int = 7,
) -> SweepResult:
    """Raise the level of every open request that deserves more; close unrated old ones."""
    today = today or today_in_china()
    repository = RequestRepository(session)
    horizon, _ = add_working_days(today, 1)
    escalated = 0
    for row in await repository.escalation_candidates(today, horizon):
        level = level_on(row, today, red_after)
        if level > row.escalation_level:
            row.escalation_level = level
            await _record(
                session, repository, row, "escalate", {"level": level}, LEVEL_LABELS[level]
            )
            escalated += 1
    closed = 0
    cutoff = utcnow() - timedelta(days=reopen_window_days)
    for row in await repository.resolved_before(cutoff):
        row.status, row.is_open, row.closed_at = Status.CLOSED.value, False, utcnow()
        await _record(
            session, repository, row, "close", {}, "评价期满自动关闭", Status.RESOLVED.value
        )
        closed += 1
    await session.flush()
    return SweepResult(escalated=escalated, closed=closed)


async def _record(
    session: AsyncSession,
    repository: RequestRepository,
    row: ServiceRequest,
    action: str,
    data: dict[str, int],
    note: str,
    before: str | None = None,
) -> None:
    row.updated_at = utcnow()
    repository.add(
        RequestEvent(
            request_id=row.id,
            action=action,
            from_status=before,
            to_status=row.status if before else None,
            actor_subject="system",
            actor_name="系统",
            actor_role="system",
            note=note,
            data=data,
        )
    )
    await record_event(
        session,
        event_type=f"request.{'escalated' if action == 'escalate' else 'closed'}",
        request=row,
        payload={"request": public_view(row), "transition": {"action": action, **data}},
    )


async def run_escalation_loop(app: FastAPI, interval: float) -> None:
    """Runs the sweep every ``interval`` seconds until cancelled (at shutdown)."""
    database: Database = app.state.database
    settings = app.state.settings
    while True:
        try:
            async for session in database.unit_of_work():
                result = await escalate_due(
                    session,
                    red_after=settings.red_after_working_days,
                    reopen_window_days=settings.reopen_window_days,
                )
                # Expired Idempotency-Keys go on the same beat (a day old: nobody retries).
                purged = await purge_expired(session, IDEMPOTENCY_KEYS)
                if result.escalated or result.closed or purged:
                    fields = {**vars(result), "idempotency_keys_purged": purged}
                    logger.info("escalation sweep", extra={"fields": fields})
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must survive a bad sweep; the next one retries
            logger.exception("escalation sweep failed")
        await asyncio.sleep(interval)
