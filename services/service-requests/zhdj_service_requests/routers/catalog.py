"""``/api/service-requests/catalog``: departments, categories, items; ``/calendar``: deadlines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from zhdj_service_requests.catalog_data.community import PRESET_LABELS, PRESETS
from zhdj_service_requests.repositories.catalog import ItemFilters
from zhdj_service_requests.routers.deps import Catalog, Paging, Reader
from zhdj_service_requests.schemas.catalog import (
    CategoryRead,
    DeadlineRead,
    DepartmentRead,
    ItemRead,
    PresetRead,
)
from zhdj_service_requests.workdays import add_working_days
from zhdj_shared.errors import NotFound, problem_responses
from zhdj_shared.pagination import Page

PREFIX = "/api/service-requests/catalog"
router = APIRouter(prefix=PREFIX, tags=["catalog"])
calendar_router = APIRouter(prefix="/api/service-requests/calendar", tags=["catalog"])

Search = Annotated[
    str | None,
    Query(min_length=1, max_length=64, description="Chinese, full pinyin or initials (hkqy)"),
]


@router.get("/departments", summary="Departments (部门), searchable by name")
async def list_departments(
    _principal: Reader, catalog: Catalog, q: Search = None
) -> list[DepartmentRead]:
    return [DepartmentRead.of(d) for d in await catalog.departments(q)]


@router.get("/categories", summary="Categories; `community_level=true`: the nine kinds")
async def list_categories(
    _principal: Reader, catalog: Catalog, community_level: bool | None = None
) -> list[CategoryRead]:
    return [CategoryRead.of(c) for c in await catalog.categories(community_level)]


@router.get("/items", summary="Items with their procedure; search by Chinese, pinyin or initials")
async def list_items(
    _principal: Reader,
    catalog: Catalog,
    page: Paging,
    q: Search = None,
    category_id: Annotated[str | None, Query(max_length=64)] = None,
    department_id: Annotated[str | None, Query(max_length=64)] = None,
    community_level: bool | None = None,
) -> Page[ItemRead]:
    filters = ItemFilters(
        q=q, category_id=category_id, department_id=department_id, community_level=community_level
    )
    items, next_cursor = await catalog.items_page(filters, limit=page.limit, cursor=page.cursor)
    return Page(items=[ItemRead.of(i) for i in items], next_cursor=next_cursor)


@router.get("/items/{item_id}", summary="One item", responses=problem_responses(404))
async def get_item(item_id: str, _principal: Reader, catalog: Catalog) -> ItemRead:
    item = await catalog.item(item_id)
    if item is None:
        raise NotFound(f"service item {item_id} does not exist")
    return ItemRead.of(item)


@router.get("/presets", summary="The one-tap buttons and the items they file")
async def list_presets(_principal: Reader) -> list[PresetRead]:
    return [PresetRead(code=c, label=PRESET_LABELS[c], item_id=i) for c, i in PRESETS.items()]


@calendar_router.get(
    "/deadline", summary="The date N working days after a start (China's calendar, 调休 included)"
)
async def deadline(
    _principal: Reader,
    start: date,
    days: Annotated[int, Query(ge=0, le=365)],
) -> DeadlineRead:
    due, basis = add_working_days(start, days)
    return DeadlineRead(start=start, working_days=days, due_on=due, calendar_basis=basis)
