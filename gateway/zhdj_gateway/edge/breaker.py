"""A circuit breaker per upstream: closed, open after N consecutive failures, half-open probe.

What counts as a failure (decided once, here): the upstream could not be reached (connect
error, connection lost before a response), it did not answer in time (connect, read or overall
deadline), or it answered 502, 503 or 504 (it says itself that it, or what it depends on, is not
available). A 500 is an application bug, not unavailability: it does not count. A client that
goes away or sends too large a body is nobody's failure: the attempt is released unscored.
"""

from __future__ import annotations

import time
from collections.abc import Callable

FAILURE_STATUSES = frozenset({502, 503, 504})


class CircuitBreaker:
    __slots__ = ("_clock", "_failures", "_opened_at", "_probing", "reset_seconds", "threshold")

    def __init__(
        self,
        threshold: int,
        reset_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = max(1, threshold)
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """May a request go through now? While half-open, only one probe at a time."""
        if self._opened_at is None:
            return True
        if self._probing or self._clock() - self._opened_at < self.reset_seconds:
            return False
        self._probing = True
        return True

    def retry_in(self) -> float:
        """Seconds until a probe will be let through (for ``Retry-After``)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.reset_seconds - (self._clock() - self._opened_at))

    def record_status(self, status: int) -> None:
        if status in FAILURE_STATUSES:
            self.failure()
        else:
            self.success()

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failure(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._probing = False

    def release(self) -> None:
        """The attempt ended without telling anything about the upstream."""
        self._probing = False
