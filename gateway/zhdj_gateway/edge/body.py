"""Request bodies: the size limit while streaming, and small bodies read whole when needed.

A declared ``Content-Length`` over the limit is refused before anything is read (the front
server guarantees the body never exceeds what it declared). A body without a length (chunked)
is counted while it streams: the proxy aborts its upstream call, and for the identity app
:func:`limit_streamed_body` answers 413 itself and tells the app the client went away.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhdj_gateway.edge.problems import send_problem
from zhdj_shared.errors import PayloadTooLarge


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


def too_large_detail(limit: int) -> str:
    return f"The request body exceeds {limit} bytes."


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body (for small bodies the edge must inspect), refusing more than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class StreamedBody:
    """The request body as an async iterator for aiohttp, counted against the limit.

    The first ASGI message is read up front: when it is the whole body (the usual small JSON
    request) the proxy sends plain bytes and this object is not used for streaming at all.
    ``failure`` remembers why streaming stopped, because aiohttp reports it as a connection
    error of its own.
    """

    __slots__ = ("_receive", "_size", "failure", "first", "limit")

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self._size = 0
        self.first = b""
        self.failure: Exception | None = None

    async def start(self) -> bool:
        """Read the first message; True when more of the body is still to come."""
        more, self.first = await self._next()
        return more

    async def _next(self) -> tuple[bool, bytes]:
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self.failure = ClientGone()
            raise self.failure
        chunk: bytes = message.get("body", b"")
        self._size += len(chunk)
        if self._size > self.limit:
            self.failure = BodyTooLarge()
            raise self.failure
        return bool(message.get("more_body", False)), chunk

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.first:
            yield self.first
        more = True
        while more:
            more, chunk = await self._next()
            if chunk:
                yield chunk


async def limit_streamed_body(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, limit: int
) -> None:
    """Run ``app`` with a body of unknown length capped at ``limit`` bytes.

    Past the limit the client gets 413 (when nothing was answered yet), the app sees
    ``http.disconnect`` and whatever it still sends is dropped.
    """
    size = 0
    started = False
    refused = False

    async def limited_receive() -> Message:
        nonlocal size, refused
        if refused:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                refused = True
                if not started:
                    await send_problem(send, PayloadTooLarge, too_large_detail(limit))
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refused:
            return
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    await app(scope, limited_receive, guarded_send)
