"""Cursor (keyset) pagination: ``limit`` (default 50, max 200) and an opaque ``cursor``.

A cursor carries the sort key of the last item returned, so a page costs one indexed range scan
however deep the client has paged, and rows inserted meanwhile never shift a page.
Collections answer ``{"items": [...], "next_cursor": "..." | null}``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_

from zhdj_shared.errors import FieldError, Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != width:
        raise Unprocessable(
            "The cursor is not one this server issued.",
            errors=[FieldError(field="cursor", message="invalid cursor")],
        )
    return values


def after_cursor(columns: Sequence[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``(c1, c2, ...) > (v1, v2, ...)`` spelled out, so it works on every database and index."""
    clauses: list[ColumnElement[bool]] = []
    for i, column in enumerate(columns):
        equal_before = [columns[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal_before, column > values[i]))
    return or_(*clauses)


def build_page(rows: Sequence[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Rows were fetched with ``limit + 1``; the extra one only tells whether a next page exists."""
    items = list(rows[:limit])
    if len(rows) > limit and items:
        return items, encode_cursor(key(items[-1]))
    return items, None
