"""The service catalog: nine community-level categories with sixteen items, 130+ items of 30+
departments, each with its procedure and deadlines; search by Chinese, pinyin and initials."""

from __future__ import annotations

from typing import Any

from tests.service_requests.conftest import BASE, RequestsApp
from zhdj_service_requests.catalog_seed import seed_rows
from zhdj_service_requests.models import Category, Department, ServiceItem

CATALOG = f"{BASE}/catalog"


def test_the_seed_has_nine_kinds_sixteen_items_and_130_more_from_30_departments() -> None:
    rows = seed_rows()
    categories = [r for r in rows if isinstance(r, Category) and r.community_level]
    community_items = [r for r in rows if isinstance(r, ServiceItem) and r.community_level]
    department_items = [r for r in rows if isinstance(r, ServiceItem) and r.department_id]
    departments = [r for r in rows if isinstance(r, Department)]
    assert len(categories) == 9
    assert len(community_items) == 16
    assert len(department_items) >= 130
    assert len(departments) >= 30
    assert all(i.steps and i.regulations and i.resolve_days >= 1 for i in department_items)
    assert len({i.id for i in rows if isinstance(i, ServiceItem)}) == len(community_items) + len(
        department_items
    )


async def names(app: RequestsApp, **params: Any) -> list[str]:
    response = await app.client.get(f"{CATALOG}/items", params=params, headers=app.resident())
    assert response.status_code == 200, response.text
    return [i["name"] for i in response.json()["items"]]


async def test_search_by_chinese_pinyin_and_initials(requests_app: RequestsApp) -> None:
    app = requests_app
    assert "户口迁入登记" in await names(app, q="户口")
    assert "户口迁入登记" in await names(app, q="hukou")
    assert "户口迁入登记" in await names(app, q="hkqr")
    assert await names(app, q="最低生活") == ["最低生活保障申请"]
    assert len(await names(app, community_level="true", limit=50)) == 16


async def test_item_carries_its_procedure(requests_app: RequestsApp) -> None:
    app = requests_app
    response = await app.client.get(f"{CATALOG}/items/item-tax-01", headers=app.resident())
    item = response.json()
    assert item["name"] == "企业涉税政策一对一咨询"
    assert item["resolve_days"] == 7
    assert item["handler_kind"] == "department"
    assert item["handler_kind_label"] == "职能部门"
    assert item["materials"]
    assert item["steps"]
    assert item["regulations"]
    response = await app.client.get(f"{CATALOG}/items/nope", headers=app.resident())
    assert response.status_code == 404


async def test_departments_categories_presets_and_paging(requests_app: RequestsApp) -> None:
    app = requests_app
    headers = app.resident()
    departments = (await app.client.get(f"{CATALOG}/departments", headers=headers)).json()
    assert len(departments) >= 30
    found = (await app.client.get(f"{CATALOG}/departments?q=swj", headers=headers)).json()
    assert [d["name"] for d in found] == ["国家税务总局市税务局"] or any(
        d["name"] == "国家税务总局市税务局" for d in found
    )
    nine = await app.client.get(f"{CATALOG}/categories?community_level=true", headers=headers)
    assert next(c["name"] for c in nine.json()) == "社会保障"
    assert len(nine.json()) == 9
    presets = (await app.client.get(f"{CATALOG}/presets", headers=headers)).json()
    assert {p["code"] for p in presets} == {"help", "repair", "consult"}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 40}
        if cursor:
            params["cursor"] = cursor
        page = (await app.client.get(f"{CATALOG}/items", params=params, headers=headers)).json()
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) >= 146
