"""The shared command line's server wrapper: the heap is frozen once start-up has completed."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from starlette.types import Message, Receive, Scope, Send

from zhdj_shared.serve import FreezeHeapAfterStartup


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # leave the test process as it was


async def _lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
    """A minimal app whose start-up leaves long-lived objects behind."""
    assert scope["type"] == "lifespan"
    await receive()
    scope["state"]["loaded"] = [object() for _ in range(1000)]
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await send({"type": "lifespan.shutdown.complete"})


async def test_startup_objects_are_frozen_after_startup_completes(unfrozen: None) -> None:
    frozen_during_startup: list[int] = []
    sent: list[str] = []
    inbox: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> Message:
        frozen_during_startup.append(gc.get_freeze_count())
        return inbox.pop(0)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    state: dict[str, object] = {}
    await FreezeHeapAfterStartup(_lifespan_app)({"type": "lifespan", "state": state}, receive, send)

    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert frozen_during_startup[0] == 0  # nothing frozen before start-up ran
    assert gc.get_freeze_count() >= len(state["loaded"])  # type: ignore[arg-type]


async def test_http_passes_through_untouched(unfrozen: None) -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def nothing() -> Message:
        return {}

    async def ignore(message: Message) -> None:
        return None

    scope: Scope = {"type": "http", "path": "/healthz"}
    await FreezeHeapAfterStartup(app)(scope, nothing, ignore)
    assert seen == [scope]
    assert gc.get_freeze_count() == 0
