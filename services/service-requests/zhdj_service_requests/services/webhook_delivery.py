"""Delivering the outbox: claim due deliveries, POST them signed, log every attempt, retry.

One round (``deliver_due``) is three short steps, so no transaction is ever open across the
network:

1. claim: in one transaction, lock due pending deliveries (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so replicas take disjoint batches) and push their ``next_attempt_at`` a lease
   ahead; a worker that dies mid-flight leaves them to be retried when the lease ends
   (at-least-once delivery, which is why receivers deduplicate on ``webhook-id``);
2. send: POST each body with the Standard Webhooks headers, with explicit timeouts, only to an
   address the ``DestinationPolicy`` checked (in production: public addresses only, pinned);
3. record: in a second transaction, log each attempt; a 2xx marks the delivery delivered, a
   failure schedules the next attempt with exponential backoff and jitter, and after
   ``MAX_ATTEMPTS`` (about a day) marks it failed.

``WebhookWorker`` runs rounds in the background of the app (started on startup, stopped on
shutdown); tests call ``deliver_due`` directly, with their own clock.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models.webhooks import DeliveryStatus, WebhookAttempt
from zhdj_service_requests.repositories.webhooks import WebhookRepository
from zhdj_service_requests.services.destinations import (
    DestinationPolicy,
    DestinationRefused,
)
from zhdj_shared.db import Database, utcnow

logger = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]

MAX_ATTEMPTS = 8
# 30 s, 2 min, 8 min, 32 min, ~2 h, ~8.5 h, then 12 h: the 8th attempt comes ~23 h after the
# first, so a receiver down for most of a day still gets every event.
FIRST_RETRY = timedelta(seconds=30)
BACKOFF_FACTOR = 4
MAX_DELAY = timedelta(hours=12)
JITTER = 0.2  # +-20%, so deliveries that failed together do not retry in lockstep
# Longer than one attempt can take (timeouts below), so a claim is never stolen mid-flight.
LEASE = timedelta(minutes=2)
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
BATCH = 50
USER_AGENT = "zhdj-webhooks/1.0"
# Outside production any URL is delivered to (developers and tests use 127.0.0.1).
ANY_DESTINATION = DestinationPolicy(production=False)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based)."""
    delay: timedelta = min(FIRST_RETRY * BACKOFF_FACTOR ** (attempts - 1), MAX_DELAY)
    spread: float = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return delay * spread


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    timestamp = int(time.time())  # the real time of this attempt: receivers check freshness
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


@dataclass(frozen=True)
class Job:
    delivery_id: str
    message_id: str
    url: str
    secret: str
    body: str


@dataclass(frozen=True)
class Outcome:
    job: Job
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class RoundResult:
    attempted: int
    delivered: int
    failed: int  # attempts that failed (retried later or given up)


async def deliver_due(
    sessions: SessionFactory,
    client: httpx.AsyncClient,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    rng: random.Random | None = None,
    policy: DestinationPolicy = ANY_DESTINATION,
) -> RoundResult:
    """One round: claim what is due by ``now``, send it where ``policy`` allows, record."""
    now = now or utcnow()
    jobs = await _claim(sessions, now, limit)
    if not jobs:
        return RoundResult(0, 0, 0)
    outcomes = await asyncio.gather(*(_send(client, job, policy) for job in jobs))
    await _record(sessions, outcomes, now, rng)
    delivered = sum(1 for o in outcomes if o.ok)
    return RoundResult(len(outcomes), delivered, len(outcomes) - delivered)


async def _claim(sessions: SessionFactory, now: datetime, limit: int) -> list[Job]:
    async with sessions() as session:
        repository = WebhookRepository(session)
        rows = await repository.claim_due(now, limit)
        for delivery, _event, _subscription in rows:
            delivery.next_attempt_at = now + LEASE
        await repository.flush()
        return [
            Job(delivery.id, event.id, subscription.url, subscription.secret, event.body)
            for delivery, event, subscription in rows
        ]


async def _send(client: httpx.AsyncClient, job: Job, policy: DestinationPolicy) -> Outcome:
    started_at = utcnow()
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        destination = await policy.destination(job.url)
        response = await client.post(
            destination.url,
            content=job.body.encode(),
            headers={
                **signed_headers(job.secret, job.message_id, job.body),
                **destination.headers,
            },
            extensions=destination.extensions,
            timeout=TIMEOUT,
            follow_redirects=False,  # a redirect is the receiver's misconfiguration: a failure
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except DestinationRefused as exc:
        error = str(exc)[:500]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = int((time.perf_counter() - started) * 1000)
    return Outcome(job, started_at, duration_ms, status_code, error)


async def _record(
    sessions: SessionFactory, outcomes: list[Outcome], now: datetime, rng: random.Random | None
) -> None:
    async with sessions() as session:
        repository = WebhookRepository(session)
        for outcome in outcomes:
            delivery = await repository.delivery_by_id(outcome.job.delivery_id)
            if delivery is None:  # its subscription was deleted meanwhile
                continue
            delivery.attempts += 1
            delivery.total_attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error
            repository.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    number=delivery.total_attempts,
                    started_at=outcome.started_at,
                    duration_ms=outcome.duration_ms,
                    status_code=outcome.status_code,
                    error=outcome.error,
                )
            )
            if outcome.ok:
                delivery.status = DeliveryStatus.DELIVERED
                delivery.delivered_at = outcome.started_at
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts, rng)
        await repository.flush()


def database_sessions(database: Database) -> SessionFactory:
    """Each use is one unit of work on ``database`` (committed when the block succeeds)."""
    return asynccontextmanager(database.unit_of_work)


class WebhookWorker:
    """The background delivery loop of one process."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        client: httpx.AsyncClient | None = None,
        idle_seconds: float = 2.0,
        policy: DestinationPolicy = ANY_DESTINATION,
    ) -> None:
        self._sessions = sessions
        # No proxy from the environment: a proxy would connect to the name itself and undo
        # the address check.
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT, trust_env=False)
        self._idle = idle_seconds
        self._policy = policy
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                result = await deliver_due(self._sessions, self._client, policy=self._policy)
            except Exception:
                # A database hiccup must not kill the loop; the next round retries.
                logger.exception("webhook delivery round failed")
                result = RoundResult(0, 0, 0)
            if result.attempted:
                logger.info(
                    "webhook deliveries attempted",
                    extra={"fields": {"attempted": result.attempted, "ok": result.delivered}},
                )
            if result.attempted < BATCH:
                await asyncio.sleep(self._idle)


async def start_webhook_worker(app: FastAPI) -> None:
    """``on_startup`` hook of the app (``webhook_poll_seconds`` 0 leaves it off)."""
    idle = float(getattr(app.state.settings, "webhook_poll_seconds", 2.0))
    if idle <= 0:
        return
    production = app.state.settings.platform.env == "production"
    worker = WebhookWorker(
        database_sessions(app.state.database),
        idle_seconds=idle,
        policy=DestinationPolicy(production=production),
    )
    worker.start()
    app.state.webhook_worker = worker


async def stop_webhook_worker(app: FastAPI) -> None:
    """``on_shutdown`` hook of the app."""
    worker: WebhookWorker | None = getattr(app.state, "webhook_worker", None)
    if worker is not None:
        await worker.stop()
