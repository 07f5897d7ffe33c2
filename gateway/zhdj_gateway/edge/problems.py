"""Problem+json answers sent straight over ASGI (the edge has no framework to raise into)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from starlette.types import Send

from zhdj_shared.errors import PROBLEM_CONTENT_TYPE, Problem, problem_body

Header = tuple[bytes, bytes]

_CONTENT_TYPE: Header = (b"content-type", PROBLEM_CONTENT_TYPE.encode())


async def send_problem(
    send: Send,
    problem: type[Problem],
    detail: str | None = None,
    *,
    headers: Sequence[Header] = (),
) -> None:
    """Answer with ``problem``'s status, title and type (the request id comes from the context)."""
    body = problem_body(problem.status, title=problem.title, slug=problem.slug, detail=detail)
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [_CONTENT_TYPE, (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def retry_after(seconds: float) -> Header:
    """``Retry-After`` in whole seconds, at least 1 (a client must not retry at once)."""
    return (b"retry-after", str(max(1, math.ceil(seconds))).encode())
