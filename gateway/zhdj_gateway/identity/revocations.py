"""Access tokens refused before they expire: signed-out sessions, disabled accounts, changed roles.

An access token is a signed JWT that every service verifies on its own, so it cannot be recalled;
but every request from outside comes through the edge, and the edge refuses a token that was
revoked (``Edge._revoked``). What was revoked is a row of ``access_revocations`` (written in the
same unit of work as the change that revokes: a session's end, an account's or a client's change;
``repositories.AccessRevocationRepository``), and each gateway process keeps a copy in memory,
read every ``ZHDJ_GATEWAY_REVOCATION_POLL_SECONDS`` (1 s): a dictionary lookup per request, one
indexed query per second per process.

Two kinds of key, two comparisons against the token's ``iat`` (whole seconds):

* ``sid:<family>``: a refresh-token family (one sign-in) that has ended. It never issues another
  token, so every token of it issued up to the revocation's second is refused.
* ``sub:<user or client>``: the account changed (disabled, roles, password; a client's scopes,
  roles, secret, state). Its new tokens must pass, so only tokens issued *before* the
  revocation's second are refused. A token issued earlier in that same second passes: at most
  one second's window, where a refused fresh token would sign a user out. A disabled account or
  a reset password also ends every session of the account (``sid`` keys, no window).

Rows older than the access-token lifetime (plus the verifier's leeway) refuse nothing that is
still alive and are purged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from zhdj_gateway.identity.repositories import (
    SESSION_PREFIX,
    SUBJECT_PREFIX,
    AccessRevocationRepository,
)
from zhdj_gateway.identity.sessions import SessionSource
from zhdj_shared.background import BackgroundTask, every
from zhdj_shared.db import utcnow
from zhdj_shared.security.tokens import LEEWAY_SECONDS

logger = logging.getLogger("zhdj.gateway.revocations")

# Re-read this much before the last read: a revocation is stamped when its statement runs and
# seen when its transaction commits, which may be a moment later.
READ_OVERLAP = timedelta(seconds=60)
PURGE_EVERY_SECONDS = 60.0


class Revocations:
    """This process's copy of ``access_revocations``: key -> the last refused ``iat``."""

    def __init__(self, sessions: SessionSource, *, token_ttl_seconds: int) -> None:
        self._sessions = sessions
        self._alive = timedelta(seconds=token_ttl_seconds + LEEWAY_SECONDS)
        self._refused_up_to: dict[str, float] = {}
        self._read_from: datetime | None = None
        self._task = BackgroundTask("access-revocations")

    def refuses(self, claims: Mapping[str, Any]) -> bool:
        """Whether a verified token's claims fall under a revocation."""
        if not self._refused_up_to:
            return False
        issued = claims.get("iat")
        if not isinstance(issued, int | float):
            return False
        keys = [SUBJECT_PREFIX + str(claims.get("sub"))]
        if claims.get("sid"):
            keys.append(SESSION_PREFIX + str(claims["sid"]))
        return any(issued <= self._refused_up_to.get(key, -math.inf) for key in keys)

    async def read(self) -> None:
        """Take in what every process has revoked since the last read (at start: all alive)."""
        now = utcnow()
        since = now - self._alive if self._read_from is None else self._read_from - READ_OVERLAP
        async with self._sessions() as session:
            rows = await AccessRevocationRepository(session).since(since)
        for key, revoked_at in rows:
            self._refused_up_to[key] = _last_refused_iat(key, revoked_at)
        self._read_from = now
        self._forget_before(now - self._alive)

    async def purge(self) -> None:
        async with self._sessions() as session:
            purged = await AccessRevocationRepository(session).purge_before(utcnow() - self._alive)
        if purged:
            logger.info("access revocations purged", extra={"fields": {"n": purged}})

    def _forget_before(self, moment: datetime) -> None:
        oldest = moment.timestamp()
        for key in [k for k, up_to in self._refused_up_to.items() if up_to < oldest]:
            del self._refused_up_to[key]

    # -- the background loop (every serving process) ------------------------------------------

    def start(self, every_seconds: float) -> None:
        purge_every = max(1, round(PURGE_EVERY_SECONDS / every_seconds))
        rounds = 0

        async def round_() -> None:  # a failed read keeps what this process knows
            nonlocal rounds
            await self.read()
            if rounds % purge_every == 0:  # the first round, then about once a minute
                await self.purge()
            rounds += 1

        # The app's start-up has just read: the first round waits one interval.
        self._task.start(
            every(
                every_seconds,
                round_,
                what="reading access revocations",
                logger=logger,
                first_at_once=False,
            )
        )

    async def stop(self) -> None:
        await self._task.stop()


def _last_refused_iat(key: str, revoked_at: datetime) -> float:
    """A session's tokens up to the revocation's second; an account's, those before it."""
    second = math.floor(revoked_at.timestamp())
    return float(second if key.startswith(SESSION_PREFIX) else second - 1)
