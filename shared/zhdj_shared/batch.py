"""Batch reads: one ``POST`` answering the same question for many scopes at once.

Why a POST, the limit of 200 and per-item problems: docs/decisions/0008-batch-reads.md. Every
batch endpoint of the platform takes its ids in the body (at most :data:`BATCH_LIMIT`, more is a
422 naming the field), answers each item as its single-scope endpoint would, and reports an item
the caller may not read or that does not exist as that item's :class:`ItemProblem`, never by
failing the whole batch. A dependency that is down still fails the whole request (503): nothing
is half-answered. Callers send them with ``ServiceClient.post(..., idempotent=True)``: a batch
read changes nothing, so it is retried like a GET.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, TypeVar

from pydantic import BaseModel, Field, StringConstraints

from zhdj_shared.errors import Problem

BATCH_LIMIT = 200

# An id in a batch body: exactly what the single endpoint takes in its path or query (not
# stripped: the answer is keyed by the id as sent).
BatchId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
BatchIds = Annotated[
    list[BatchId],
    Field(max_length=BATCH_LIMIT, description=f"At most {BATCH_LIMIT}; duplicates answered once"),
]

T = TypeVar("T")


class ItemProblem(BaseModel):
    """Why one item of a batch has no answer: the status and detail its single endpoint gives."""

    status: int = Field(description="404 unknown, 403 not readable by the caller, 422 invalid")
    title: str
    detail: str | None = None

    @classmethod
    def of(cls, problem: Problem) -> ItemProblem:
        return cls(status=problem.status, title=problem.title, detail=problem.detail)


def unique(values: Iterable[T]) -> list[T]:
    """The values in their first order, each once."""
    return list(dict.fromkeys(values))


def chunks(values: Sequence[T], size: int = BATCH_LIMIT) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
