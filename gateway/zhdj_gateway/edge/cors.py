"""CORS at the edge: preflights answered here, allowed origins echoed, others get nothing."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Message, Send

from zhdj_gateway.edge.headers import Header
from zhdj_gateway.edge.problems import send_problem
from zhdj_shared.errors import Forbidden

ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"
DEFAULT_ALLOW_HEADERS = b"authorization, content-type, idempotency-key, x-api-key, x-request-id"
EXPOSE_HEADERS = b"x-request-id, retry-after, location, content-disposition"
MAX_AGE = b"600"


class Cors:
    def __init__(self, origins: Iterable[str]) -> None:
        allowed = {origin.rstrip("/").encode() for origin in origins}
        self.any_origin = b"*" in allowed
        self.origins = frozenset(allowed - {b"*"})
        self.enabled = bool(allowed)

    def allows(self, origin: bytes) -> bool:
        return self.any_origin or origin in self.origins

    def _allow_origin(self, origin: bytes) -> list[Header]:
        if self.any_origin:
            return [(b"access-control-allow-origin", b"*")]
        return [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]

    async def preflight(self, headers: list[Header], origin: bytes, send: Send) -> None:
        """Answer an ``OPTIONS`` preflight: 204 with the grants, or 403 without any."""
        if not self.allows(origin):
            await send_problem(send, Forbidden, "This origin may not call the API.")
            return
        requested = DEFAULT_ALLOW_HEADERS
        for name, value in headers:
            if name == b"access-control-request-headers":
                requested = value
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    *self._allow_origin(origin),
                    (b"access-control-allow-methods", ALLOW_METHODS),
                    (b"access-control-allow-headers", requested),
                    (b"access-control-max-age", MAX_AGE),
                    (b"vary", b"Access-Control-Request-Method, Access-Control-Request-Headers"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    def wrap(self, send: Send, origin: bytes) -> Send:
        """``send`` that adds the CORS grant to the response (the edge's grant wins)."""
        granted = [*self._allow_origin(origin), (b"access-control-expose-headers", EXPOSE_HEADERS)]

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if not name.lower().startswith(b"access-control-")
                ]
                message = {**message, "headers": headers + granted}
            await send(message)

        return send_with_cors


def is_preflight(method: str, headers: list[Header]) -> bool:
    return method == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in headers
    )
