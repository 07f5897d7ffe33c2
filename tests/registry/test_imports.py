"""Bulk import and export of organizations: all or nothing, row-level errors, round trips."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError
from sqlmodel import col, func, select

from tests.registry.conftest import Registry, serve_registry
from tests.registry.test_organizations import assert_problem, count_orgs
from tests.support.tokens import TestKeys
from zhdj_gateway.settings import GatewaySettings
from zhdj_registry.models import Organization
from zhdj_registry.schemas.organizations import OrganizationCreate
from zhdj_registry.services.import_organizations import Node, organization_values
from zhdj_registry.services.organizations import new_organization
from zhdj_registry.settings import RegistrySettings
from zhdj_registry.vocabulary import OrgKind, Sector
from zhdj_shared.db import Database

IMPORT = "/api/registry/imports/organizations"
EXPORT = "/api/registry/exports/organizations"
HEADER = ["引用", "名称", "类型", "领域", "上级组织ID", "上级引用", "联系电话", "成立日期"]
CHAOYANG = "demo-s-xinhua-chaoyang"


def tree_rows(parent_id: str, prefix: str, communities: int) -> list[list[str]]:
    """Per community: itself, 3 branches, 2 party groups under each branch (10 rows)."""
    rows = []
    for c in range(communities):
        cref = f"{prefix}c{c}"
        rows.append(
            [cref, f"{prefix}第{c}社区党委", "社区党组织", "城市社区", parent_id, "", "", ""]
        )
        for b in range(3):
            bref = f"{cref}b{b}"
            rows.append([bref, f"第{b}党支部", "branch", "community", "", cref, "", "2020-07-01"])
            for g in range(2):
                rows.append(
                    ["", f"第{g}党小组", "党小组", "城市社区", "", bref, "0531-1234567", ""]
                )
    return rows


def csv_file(
    rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig"
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([v or None for v in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


async def upload(
    registry: Registry, data: bytes, headers: dict[str, str], name: str = "orgs.csv", **params: Any
) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return await registry.client.post(IMPORT, files=files, params=params, headers=headers)


async def test_a_tree_of_3000_rows_imports_from_csv(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    before = await count_orgs(demo_registry)
    data = csv_file(tree_rows(CHAOYANG, "新区", 300))
    dry = await upload(demo_registry, data, staff, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["valid"] is True
    assert dry.json()["created"] == 0
    assert await count_orgs(demo_registry) == before
    response = await upload(demo_registry, data, staff)
    assert response.status_code == 201, response.text[:2000]
    report = response.json()
    assert (report["rows"], report["created"], report["error_count"]) == (3000, 3000, 0)
    assert await count_orgs(demo_registry) == before + 3000
    async with demo_registry.session() as session:
        deepest = (
            await session.exec(
                select(func.max(Organization.depth)).where(
                    col(Organization.path).startswith(f"/demo-city/demo-d-xinhua/{CHAOYANG}/")
                )
            )
        ).one()
        group = (
            await session.exec(
                select(Organization).where(Organization.name == "第1党小组").limit(1)
            )
        ).one()
    assert deepest == 5  # city 0, district 1, street 2, community 3, branch 4, group 5
    assert group.depth == 5
    assert group.kind == "party_group"
    assert group.contact_phone == "0531-1234567"
    assert group.path.startswith(f"/demo-city/demo-d-xinhua/{CHAOYANG}/")
    assert group.name_initials == "d1dxz"


async def test_a_tree_of_3000_rows_imports_from_xlsx(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff("demo-s-xinhua-heping")
    before = await count_orgs(demo_registry)
    data = xlsx_file(tree_rows("demo-s-xinhua-heping", "表格", 300))
    response = await upload(demo_registry, data, staff, name="orgs.xlsx")
    assert response.status_code == 201, response.text[:2000]
    assert response.json()["created"] == 3000
    assert await count_orgs(demo_registry) == before + 3000


async def test_gbk_csv_from_excel_imports(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    rows = [["a", "红纽带服务站党支部", "党支部", "城市社区", f"{CHAOYANG}-c1", "", "", ""]]
    response = await upload(demo_registry, csv_file(rows, encoding="gbk"), staff)
    assert response.status_code == 201, response.text
    new_id = response.json()["refs"]["a"]
    org = await demo_registry.client.get(f"/api/registry/organizations/{new_id}", headers=staff)
    assert org.json()["name"] == "红纽带服务站党支部"
    assert org.json()["kind"] == "branch"


async def test_a_file_with_errors_imports_nothing(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    c1 = f"{CHAOYANG}-c1"
    good = tree_rows(CHAOYANG, "好", 5)
    bad = [
        ["x1", "", "党支部", "城市社区", c1, "", "", ""],  # no name
        ["x2", "星际支部", "星际", "城市社区", c1, "", "", ""],  # unknown kind
        ["x3", "越权支部", "党支部", "城市社区", "demo-s-dongcheng-dongfeng-c1", "", "", ""],
        ["x4", "悬空支部", "党支部", "城市社区", "", "later", "", ""],  # forward ref
        ["x5", "街道下的小组", "党小组", "城市社区", CHAOYANG, "", "", ""],  # wrong level
        ["x6", "阳光社区第一党支部", "党支部", "城市社区", c1, "", "", ""],  # name taken
        ["x1", "重复引用", "党支部", "城市社区", c1, "", "", ""],  # duplicate ref
        ["x8", "坏电话", "党支部", "城市社区", c1, "", "电话号码", "2020-13-45"],
        ["x9", "不存在", "党支部", "城市社区", "no-such-org", "", "", ""],
        ["later", "子承父错", "党小组", "城市社区", "", "x1", "", ""],  # parent row is bad
    ]
    data = csv_file(good + bad)
    before = await count_orgs(demo_registry)
    response = await upload(demo_registry, data, staff)
    problem = assert_problem(response, 422)
    report = problem["report"]
    assert report["created"] == 0
    assert report["valid"] is False
    first_bad = len(good) + 2  # header is row 1
    by_row: dict[int, list[dict[str, Any]]] = {}
    for error in report["errors"]:
        by_row.setdefault(error["row"], []).append(error)
    expected_columns = {
        first_bad: "名称",
        first_bad + 1: "类型",
        first_bad + 2: "上级组织ID",
        first_bad + 3: "上级引用",
        first_bad + 4: "类型",
        first_bad + 5: "名称",
        first_bad + 6: "引用",
        first_bad + 8: "上级组织ID",
        first_bad + 9: "上级引用",
    }
    for row, column in expected_columns.items():
        assert column in {e["column"] for e in by_row[row]}, (row, by_row.get(row))
    assert {e["column"] for e in by_row[first_bad + 7]} == {"联系电话", "成立日期"}
    assert set(by_row) == set(expected_columns) | {first_bad + 7}
    assert problem["errors"][0]["field"].startswith(f"row {first_bad}")
    assert await count_orgs(demo_registry) == before
    dry = await upload(demo_registry, data, staff, dry_run=True)
    assert dry.status_code == 200
    assert dry.json()["error_count"] == report["error_count"]
    assert await count_orgs(demo_registry) == before


async def test_refusals_and_unreadable_files(demo_registry: Registry) -> None:
    before = await count_orgs(demo_registry)
    data = csv_file(tree_rows(CHAOYANG, "拒", 1))
    resident = await upload(demo_registry, data, demo_registry.as_resident())
    assert_problem(resident, 403)
    member = demo_registry.keys.bearer(sub="m", roles=["member"], orgs=[CHAOYANG])
    assert_problem(await upload(demo_registry, data, member), 403)
    outsider = demo_registry.as_staff("demo-s-xinhua-heping")
    refused = await upload(demo_registry, data, outsider)
    assert assert_problem(refused, 422)["report"]["errors"][0]["column"] == "上级组织ID"
    staff = demo_registry.as_staff(CHAOYANG)
    unknown_column = await upload(demo_registry, csv_file([], header=[*HEADER, "颜色"]), staff)
    assert "颜色" in assert_problem(unknown_column, 422)["detail"]
    missing = await upload(demo_registry, csv_file([], header=["名称"]), staff)
    assert "类型" in assert_problem(missing, 422)["detail"]
    garbage = await upload(demo_registry, b"PK\x03\x04garbage", staff, name="x.xlsx")
    assert_problem(garbage, 422)
    empty = await upload(demo_registry, b"", staff)
    assert_problem(empty, 422)
    assert await count_orgs(demo_registry) == before


def test_the_import_limit_is_the_gateways_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the gateway lets through is never refused by the registry's own limit."""
    for name in ("ZHDJ_GATEWAY_MAX_BODY_BYTES", "ZHDJ_REGISTRY_MAX_IMPORT_BYTES"):
        monkeypatch.delenv(name, raising=False)
    assert RegistrySettings().max_import_bytes == GatewaySettings().max_body_bytes == 10 * 2**20
    monkeypatch.setenv("ZHDJ_GATEWAY_MAX_BODY_BYTES", "5000000")  # one environment: make run
    assert RegistrySettings().max_import_bytes == GatewaySettings().max_body_bytes == 5_000_000
    monkeypatch.setenv("ZHDJ_REGISTRY_MAX_IMPORT_BYTES", "4000000")  # its own wins
    assert RegistrySettings().max_import_bytes == 4_000_000
    assert RegistrySettings(max_import_bytes=123).max_import_bytes == 123
    monkeypatch.setenv("ZHDJ_REGISTRY_MAX_IMPORT_BYTES", "0")
    with pytest.raises(ValidationError):
        RegistrySettings()


async def test_a_file_over_the_limit_is_413_naming_the_limit(
    registry_database: Database, keys: TestKeys
) -> None:
    async with serve_registry(registry_database, keys, max_import_bytes=2000) as registry:
        admin = registry.as_admin()
        header_only = csv_file([])
        at_limit = header_only + b"\r\n" * ((2000 - len(header_only)) // 2)
        at_limit += b"\n" * (2000 - len(at_limit))  # empty rows are skipped
        assert len(at_limit) == 2000
        fits = await upload(registry, at_limit, admin, dry_run="true")
        assert fits.status_code == 200, fits.text
        assert fits.json()["rows"] == 0
        before = await count_orgs(registry)
        rows = [["", "测试市委", "city_committee", "government_organ", "", "", "", ""]]
        over = csv_file(rows) + b"\n" * 2000
        for params in ({}, {"dry_run": "true"}):
            problem = assert_problem(await upload(registry, over, admin, **params), 413)
            assert "2000 bytes" in problem["detail"]
            assert problem["max_bytes"] == 2000
        assert await count_orgs(registry) == before


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_export_round_trips_into_another_parent(demo_registry: Registry) -> None:
    staff = demo_registry.keys.bearer(
        sub="s", roles=["org_staff"], orgs=["demo-d-xinhua", "demo-d-dongcheng"]
    )
    response = await demo_registry.client.get(EXPORT, params={"within": CHAOYANG}, headers=staff)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = read_csv(response.content)
    header, body = rows[0], rows[1:]
    assert header[:6] == ["引用", "名称", "简称", "类型", "领域", "上级组织ID"]
    async with demo_registry.session() as session:
        in_subtree = (
            await session.exec(
                select(func.count())
                .select_from(Organization)
                .where(
                    col(Organization.path).startswith(f"/demo-city/demo-d-xinhua/{CHAOYANG}/"),
                    Organization.status == "active",
                )
            )
        ).one()
    assert len(body) == in_subtree
    assert body[0][0] == CHAOYANG
    assert body[0][5] == "demo-d-xinhua"
    assert body[0][3] == "街道党工委"
    body[0][5] = ""  # re-home the root: it goes under ?parent_id
    edited = csv_file(body, header=header)
    before = await count_orgs(demo_registry)
    dry = await upload(demo_registry, edited, staff, dry_run=True, parent_id="demo-d-dongcheng")
    assert dry.status_code == 200, dry.text
    assert dry.json()["errors"] == []
    assert dry.json()["valid"] is True
    real = await upload(demo_registry, edited, staff, parent_id="demo-d-dongcheng")
    assert real.status_code == 201, real.text
    assert await count_orgs(demo_registry) == before + len(body)

    xlsx = await demo_registry.client.get(
        EXPORT, params={"within": CHAOYANG, "format": "xlsx"}, headers=staff
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(values) == len(rows)
    again = await upload(
        demo_registry, xlsx.content, staff, name="x.xlsx", dry_run=True
    )  # same parent: every name is now taken by the original
    assert again.status_code == 200
    assert again.json()["valid"] is False


async def test_export_refusals(demo_registry: Registry) -> None:
    outsider = demo_registry.as_staff("demo-s-xinhua-heping")
    assert_problem(
        await demo_registry.client.get(EXPORT, params={"within": CHAOYANG}, headers=outsider), 403
    )
    assert_problem(await demo_registry.client.get(EXPORT, headers=outsider), 422)
    assert_problem(
        await demo_registry.client.get(
            EXPORT, params={"within": CHAOYANG}, headers=demo_registry.as_resident()
        ),
        403,
    )
    assert_problem(
        await demo_registry.client.get(EXPORT, params={"within": "nope"}, headers=outsider), 404
    )
    everything = await demo_registry.client.get(EXPORT, headers=demo_registry.as_admin())
    assert len(read_csv(everything.content)) - 1 == await count_orgs(demo_registry)


def test_import_rows_are_what_new_organization_builds() -> None:
    """The importer's fast row builder derives every column exactly as the API's creation does."""
    parent = new_organization(
        "p1",
        None,
        name="中共示范市委员会",
        kind=OrgKind.CITY_COMMITTEE,
        sector=Sector.GOVERNMENT_ORGAN,
        area_code="370100",
    )
    data = OrganizationCreate(
        name="红纽带 服务站ABC党支部",
        short_name="红纽带",
        kind=OrgKind.BRANCH,
        sector=Sector.COMMUNITY,
        address="朝阳路1号",
        contact_phone="0531-1",
        description="说明",
        established_on=date(2020, 7, 1),
    )
    fast = organization_values("o1", Node.of(parent), data)
    slow = new_organization("o1", parent, **data.model_dump(exclude={"parent_id"})).model_dump()
    ignore = {"created_at", "updated_at"}
    assert {k: v for k, v in fast.items() if k not in ignore} == {
        k: v for k, v in slow.items() if k not in ignore
    }
    assert set(fast) == set(Organization.model_fields)
