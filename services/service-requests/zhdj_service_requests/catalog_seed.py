"""Loads the seeded catalog (nine categories and sixteen community items, 130+ department items).

Idempotent: rows already there are left alone, so a restart or a new seed version only adds.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.catalog_data.community import CATEGORIES
from zhdj_service_requests.catalog_data.departments import DEPARTMENTS, SeedDepartment
from zhdj_service_requests.models import Category, Department, ServiceItem
from zhdj_service_requests.repositories.catalog import invalidate_items
from zhdj_shared.text import pinyin_key

DEPARTMENT_STEPS = (
    "街道党群服务中心（智慧党建服务中心）受理",
    "转{dept}办理",
    "{dept}审核办理",
    "服务中心跟踪督办",
    "办结反馈并回访",
)


def _category(id_: str, name: str, *, community_level: bool, order: int) -> Category:
    key = pinyin_key(name)
    return Category(
        id=id_,
        name=name,
        name_pinyin=key.full,
        name_initials=key.initials,
        community_level=community_level,
        sort_order=order,
    )


def _department_items(dept: SeedDepartment, category_id: str) -> list[ServiceItem]:
    items = []
    for n, line in enumerate(dept.items, start=1):
        name, respond, resolve, materials = line.split("|")
        key = pinyin_key(name)
        items.append(
            ServiceItem(
                id=f"{dept.id.replace('dept-', 'item-')}-{n:02d}",
                name=name,
                name_pinyin=key.full,
                name_initials=key.initials,
                category_id=category_id,
                department_id=dept.id,
                handler_kind="department",
                regulations=list(dept.regulations),
                steps=[s.format(dept=dept.name) for s in DEPARTMENT_STEPS],
                materials=[m for m in materials.split("、") if m],
                respond_days=int(respond),
                resolve_days=int(resolve),
                description=f"{name}：由{dept.name}办理，街道智慧党建服务中心统一受理、跟踪督办。",
            )
        )
    return items


def seed_rows() -> list[Department | Category | ServiceItem]:
    rows: list[Department | Category | ServiceItem] = []
    for order, seed in enumerate(CATEGORIES, start=1):
        rows.append(_category(seed.id, seed.name, community_level=True, order=order))
        for item in seed.items:
            key = pinyin_key(item.name)
            rows.append(
                ServiceItem(
                    id=item.id,
                    name=item.name,
                    name_pinyin=key.full,
                    name_initials=key.initials,
                    category_id=seed.id,
                    handler_kind=item.handler_kind,
                    community_level=True,
                    regulations=list(item.regulations),
                    steps=list(item.steps),
                    materials=list(item.materials),
                    respond_days=item.respond_days,
                    resolve_days=item.resolve_days,
                    preset=item.preset,
                    volunteer_post_kind=item.volunteer_post_kind,
                    description=f"{item.name}（街道下沉社区服务事项，{seed.name}类）",
                )
            )
    for order, dept in enumerate(DEPARTMENTS, start=100):
        key = pinyin_key(dept.name)
        rows.append(
            Department(
                id=dept.id,
                name=dept.name,
                name_pinyin=key.full,
                name_initials=key.initials,
                phone=dept.phone,
                description=f"{dept.name}：{dept.category}相关事项",
            )
        )
        category_id = dept.id.replace("dept-", "cat-d-")
        rows.append(_category(category_id, dept.category, community_level=False, order=order))
        rows.extend(_department_items(dept, category_id))
    return rows


async def load_catalog(session: AsyncSession) -> int:
    """Adds the seeded rows that are missing; how many were added."""
    rows = seed_rows()
    existing: set[tuple[str, str]] = set()
    for model in (Department, Category, ServiceItem):
        ids = (await session.exec(select(col(model.id)))).all()
        existing.update((model.__name__, i) for i in ids)
    # Departments and categories before the items that refer to them.
    order = {Department: 0, Category: 1, ServiceItem: 2}
    added = 0
    for kind in sorted(order, key=order.__getitem__):
        for row in rows:
            if isinstance(row, kind) and (kind.__name__, row.id) not in existing:
                session.add(row)
                added += 1
        await session.flush()
    if added:
        invalidate_items()
    return added
