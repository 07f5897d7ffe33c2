"""Drive an ASGI app's lifespan (startup, later shutdown) from outside a server.

The gateway's edge runs its identity app's lifespan inside its own; ``zhdj_shared.serve`` runs
an app's one-time start-up work in the parent of several workers, then shuts it down.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message

_EXITED = "zhdj.lifespan.exited"


class LifespanError(RuntimeError):
    pass


class ChildLifespan:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self, state: dict[str, Any] | None = None) -> None:
        scope: dict[str, Any] = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
        }
        if state is not None:
            scope["state"] = state  # the app's lifespan state reaches its requests
        self._task = asyncio.create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._outbox.get()
        if reply["type"] == "lifespan.startup.failed":
            raise LifespanError(reply.get("message") or "the app failed to start")
        # lifespan.startup.complete, or the app does not speak lifespan at all (exited): go on.

    async def shutdown(self) -> None:
        task = self._task
        if task is None:
            return
        self._task = None
        if not task.done():
            await self._inbox.put({"type": "lifespan.shutdown"})
            reply = await self._outbox.get()
            await task
            if reply["type"] == "lifespan.shutdown.failed":
                raise LifespanError(reply.get("message") or "the app failed to stop")

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self._app(scope, self._inbox.get, self._outbox.put)
        except Exception as exc:
            await self._outbox.put({"type": _EXITED, "message": repr(exc)})
        else:
            await self._outbox.put({"type": _EXITED})
