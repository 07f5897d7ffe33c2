"""Background work of a serving process: a job every so many seconds, until the app stops.

The idempotency-key purge, the moves follower and the gateway's revocation reads all run this
way: started by an ``on_startup`` hook in every serving process, cancelled by ``on_shutdown``. A
round that fails is logged and the next one retries: a database or a registry away for a moment
must never end the loop, nor the process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from typing import Any, NoReturn


async def every(
    seconds: float,
    work: Callable[[], Awaitable[object]],
    *,
    what: str,
    logger: logging.Logger,
    first_at_once: bool = True,
) -> NoReturn:
    """Await ``work()`` every ``seconds`` until cancelled (the first round at once, or after
    one interval); an exception is logged as "<what> failed" and the next round retries."""
    if not first_at_once:
        await asyncio.sleep(seconds)
    while True:
        try:
            await work()
        except Exception:
            logger.exception("%s failed, retrying", what)
        await asyncio.sleep(seconds)


class BackgroundTask:
    """One named task, started once and stopped (cancelled, then awaited) once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[Any] | None = None

    def start(self, job: Coroutine[Any, Any, Any]) -> None:
        self._task = asyncio.create_task(job, name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
